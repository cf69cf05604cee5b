"""Issue 14: set-up's name-based guesses move nothing until a person confirms them.

"Lunch and Learn" is a seminar about treatments; its name holds "lunch", so set-up
suggests Block. Unconfirmed, the appointment is noted as waiting for review and moves no
stage; once a portal user confirms a category, the contact moves as the spec's table says.
"""

from __future__ import annotations

import re

from integrations.models import AppointmentType, CategoryMapping, SyncLog
from integrations.nextech.sandbox import actions
from integrations.onboarding import catalog_pull
from tests.portal.conftest import tick
from tests.support.staff import staff_login


def _messages(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_an_unconfirmed_suggestion_waits_for_review_until_a_person_confirms_it(
        rig, in_practice, portal_a):
    actions.catalog_add(rig.emr, kind="appointment_types", id="9", name="Lunch and Learn")
    catalog_pull(client=rig.nextech)
    suggested = CategoryMapping.objects.get(appointment_type__nextech_id="9")
    assert (suggested.category, suggested.source) == ("block", "suggested")

    rig.book(rig.patient_add(), type_id="9")
    rig.later()
    assert tick(rig, in_practice)["errors"] == 0
    contact = rig.contact("dana.reyes@example.com")
    (note,) = [n["body"] for n in contact["notes"]]
    assert "Category: Uncategorized (suggested Block, not confirmed: waits for review)" in note
    assert contact["opportunities"] == []
    assert contact["customFields"]["appointment_category"] == "Uncategorized"
    assert SyncLog.objects.filter(kind="event", level="warning",
                                  message__contains="waits for review").count() == 1

    lunch = AppointmentType.objects.get(nextech_id="9")
    response = portal_a.post("/categories/set/", {"appointment_type": lunch.pk,
                                                  "category": "non_surgical_consult"},
                             follow=True)
    assert ("Saved and confirmed. 1 appointment that waited for this review will move at "
            "the next sync.") in _messages(response)
    assert "Category changed for" not in _messages(response)  # nothing had moved to undo

    rig.later()
    assert tick(rig, in_practice)["errors"] == 0
    contact = rig.contact("dana.reyes@example.com")
    (opportunity,) = contact["opportunities"]
    # The spec's table: Non-Surgical Consult, Pending / Confirmed -> Booked.
    assert (opportunity["pipeline"], opportunity["stage"]) == ("Non-Surgical", "Booked")
    assert contact["customFields"]["appointment_category"] == "Non-Surgical Consult"
    assert len(contact["notes"]) == 1  # the appointment itself did not change


def test_a_suggestion_confirmed_in_the_practice_admin_moves_the_contact(rig, in_practice):
    from django.contrib.auth.models import User
    from django.test import Client

    actions.catalog_add(rig.emr, kind="appointment_types", id="9", name="Botox Lunch Special")
    catalog_pull(client=rig.nextech)
    mapping = CategoryMapping.objects.get(appointment_type__nextech_id="9")
    assert mapping.category == "block"  # "lunch" again
    CategoryMapping.objects.filter(pk=mapping.pk).update(category="non_surgical_appointment")
    rig.book(rig.patient_add(), type_id="9")
    rig.later()
    tick(rig, in_practice)
    assert rig.contact("dana.reyes@example.com")["opportunities"] == []

    staff = User.objects.create_superuser("agent", "agent@example.com", "a long password 42")
    admin = Client(HTTP_HOST="alpha.localhost")
    staff_login(admin, staff)
    response = admin.post("/admin/integrations/categorymapping/", {
        "action": "suggestions_confirm_selected", "_selected_action": [mapping.pk]}, follow=True)
    assert "1 suggested category confirmed" in _messages(response)
    mapping.refresh_from_db()
    assert (mapping.source, mapping.confirmed_by) == ("confirmed", "agent")
    rig.later()
    tick(rig, in_practice)
    (opportunity,) = rig.contact("dana.reyes@example.com")["opportunities"]
    assert (opportunity["pipeline"], opportunity["stage"]) == ("Non-Surgical", "Booked")
