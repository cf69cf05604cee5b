"""Attribution back to Nextech: a patient NXT-Create creates gets the referral source mapped
to the contact's CRM source, so the practice can report revenue by marketing source; an
unmapped source gets the practice's default and the note says so. Both flavors, through
both sandboxes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from integrations.clock import SimulatedClock
from integrations.models import EngineSettings, NxtCreateRequest, ReferralSourceMapping
from integrations.nxt_create.service import Outcome
from tests.nxt_create.conftest import NxtRig
from tests.support.staff import staff_login

FACEBOOK_AD = {"url": "https://alpha.example/lp", "utmSource": "facebook",
               "utmMedium": "paid_social"}


@pytest.fixture(params=["select", "practiceplus"])
def rig(request, in_practice, signing_keys) -> NxtRig:
    in_practice.emr_flavor = request.param
    rig = NxtRig(clock=SimulatedClock(), keys=signing_keys, flavor=request.param)
    rig.crm_setup()
    if request.param == "practiceplus":  # what Practice+ requires on every new patient
        EngineSettings.objects.update_or_create(pk=1, defaults={
            "nxt_create_general_practitioner_id": "101", "nxt_create_patient_status": "Active",
            "nxt_create_referral_source_id": "2"})
    ReferralSourceMapping.objects.create(crm_source="Facebook", nextech_referral_source_id="4",
                                         nextech_referral_source_name="Facebook Ads")
    return rig


def _create(rig: NxtRig, practice, **contact) -> tuple[str, str]:
    """Tag a new CRM contact NXT-Create; (its id, the NXT-Create note)."""
    contact_id = rig.contact_add(**contact)
    rig.tag(contact_id)
    assert rig.process(practice, contact_id) is Outcome.CREATED
    (note,) = [n["body"] for n in rig.by_id(contact_id)["notes"]]
    return contact_id, note


def test_the_mapped_attribution_source_becomes_the_patients_referral_source(rig, in_practice):
    _, note = _create(rig, in_practice, attributionSource=FACEBOOK_AD, source="Website form")

    (patient,) = rig.emr_patients()
    assert patient.referral_source is not None and patient.referral_source[0] == "4"
    read_back = rig.nextech.patient_get(patient_id=patient.id)
    assert read_back.referral_source is not None and read_back.referral_source.id == "4"
    assert "Referral source: Facebook Ads (from the CRM source 'facebook')." in note


def test_the_contacts_source_counts_when_it_has_no_attribution(rig, in_practice):
    ReferralSourceMapping.objects.create(crm_source="Google Ads", nextech_referral_source_id="5")
    _create(rig, in_practice, source="google ads")
    (patient,) = rig.emr_patients()
    assert patient.referral_source is not None and patient.referral_source[0] == "5"


def test_a_mapped_crm_field_names_the_source(rig, in_practice):
    field = rig.ghl.custom_field_create(name="Lead Source", data_type="TEXT")
    EngineSettings.objects.update_or_create(pk=1, defaults={"nxt_create_source_field":
                                                            "Lead Source"})
    ReferralSourceMapping.objects.create(crm_source="Open House", nextech_referral_source_id="6",
                                         nextech_referral_source_name="Events")
    _, note = _create(rig, in_practice, attributionSource=FACEBOOK_AD,
                      customFields=[{"id": field.id, "field_value": "Open house"}])
    (patient,) = rig.emr_patients()
    assert patient.referral_source is not None and patient.referral_source[0] == "6"
    assert "Referral source: Events (from the CRM source 'Open house')." in note


def test_an_unmapped_source_falls_back_and_the_note_says_so(rig, in_practice):
    _, note = _create(rig, in_practice, attributionSource={"url": "x", "utmSource": "tiktok"})
    (patient,) = rig.emr_patients()
    if rig.flavor == "practiceplus":  # Practice+ requires one: the default, as before
        assert patient.referral_source is not None and patient.referral_source[0] == "2"
        fallback = "the practice's default referral source (id 2) was used"
    else:  # optional in Nextech Cloud, and no default is set here
        assert patient.referral_source is None
        fallback = "no referral source was set"
    assert (f"The CRM source 'tiktok' is not mapped to a Nextech referral source, so "
            f"{fallback}; map it under Referral source mappings in the practice admin.") in note


@pytest.mark.parametrize("rig", ["practiceplus"], indirect=True)  # only it requires one
def test_practice_plus_needs_no_default_for_a_mapped_source(rig, in_practice):
    EngineSettings.objects.filter(pk=1).update(nxt_create_referral_source_id="")
    _create(rig, in_practice, attributionSource=FACEBOOK_AD)

    unmapped = rig.contact_add(email="sam@example.com", phone="+1 404 555 0188",
                               firstName="Sam", attributionSource={"url": "x",
                                                                   "utmSource": "tiktok"})
    rig.tag(unmapped)
    assert rig.process(in_practice, unmapped) is Outcome.FAILED
    assert NxtCreateRequest.objects.get(contact_id=unmapped).problems == (
        "CRM source 'tiktok' is not mapped to a Nextech referral source and no default "
        "referral source is set for new patients; ask your AX Connect administrator")


@pytest.mark.parametrize("rig", ["select"], indirect=True)
def test_staff_map_sources_in_the_practice_admin(rig, in_practice):
    user = User.objects.create_superuser("ref.agency", "agency@example.com", "correct horse 42")
    staff = Client(HTTP_HOST="alpha.localhost")
    staff_login(staff, user)
    url = "/admin/integrations/referralsourcemapping/"
    answer = staff.post(f"{url}add/", {"crm_source": "Instagram",
                                        "nextech_referral_source_id": "3",
                                        "nextech_referral_source_name": "Instagram"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert "Instagram" in staff.get(url).content.decode()
    _create(rig, in_practice, attributionSource={"url": "x", "utmSource": "instagram"})
    (patient,) = rig.emr_patients()
    assert patient.referral_source is not None and patient.referral_source[0] == "3"
