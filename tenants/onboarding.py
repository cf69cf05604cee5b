"""The agency's onboarding of one practice: the checklist on its page, and the three
actions there ("Test Nextech connection", "Run set-up", "Activate")."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from django.utils import timezone
from django_tenants.utils import tenant_context

from integrations.categories import Pipeline, Stage
from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.http import ApiError, ErrorKind, error_summary
from integrations.models import AppointmentType, Location, StageMapping
from integrations.models.pipelines import STAGE_CHOICES
from integrations.nextech.auth import InMemoryTokenStore
from integrations.nextech.client import NextechClient
from integrations.onboarding import PracticeSetupSummary, practice_crm_setup
from integrations.selectors.categories import category_review_read
from tenants.credential_urls import credential_url_refusal
from tenants.ghl.client import ghl_client_for
from tenants.ghl.connect import ghl_connection_read, ghl_location_name_refresh
from tenants.models import NextechCredential, Practice
from tenants.nextech_link import nextech_client_for, nextech_credentials
from tenants.services import practice_set_status

log = logging.getLogger(__name__)

ACTIVE_STATUSES = (Practice.Status.ACTIVE, Practice.Status.NEEDS_ATTENTION)


def stages_needed(practice: Practice) -> frozenset[str]:
    """The canonical stages the practice must map: a med spa has only the non-surgical
    pipeline's three."""
    medspa = practice.practice_type == Practice.Kind.MEDSPA
    return frozenset(stage.value for stage in Stage
                     if not medspa or stage.pipeline is Pipeline.NON_SURGICAL)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str = ""


def _nextech_items(practice: Practice) -> list[ChecklistItem]:
    credential = NextechCredential.objects.filter(practice=practice).first()
    entered = bool(credential and credential.practice_guid and (
        (credential.username and credential.password)
        or (credential.partner_id and credential.partner_secret)))
    if credential is None or not entered:
        tested = ChecklistItem("nextech_tested", "Nextech connection tested", False,
                               "Enter the credentials, save, then test.")
    elif credential.last_error:
        tested = ChecklistItem("nextech_tested", "Nextech connection tested", False,
                               f"Last test failed: {credential.last_error}")
    elif (practice.status == Practice.Status.NEEDS_ATTENTION
          and practice.status_reason.startswith("Nextech")):
        # The polls fail on these credentials now, whatever the last test said.
        tested = ChecklistItem("nextech_tested", "Nextech connection tested", False,
                               f"Polls fail: {practice.status_reason}. Fix and test again.")
    elif credential.last_verified_at:
        when = timezone.localtime(credential.last_verified_at)
        tested = ChecklistItem("nextech_tested", "Nextech connection tested", True,
                               f"OK on {when:%Y-%m-%d %H:%M %Z}")
    else:
        tested = ChecklistItem("nextech_tested", "Nextech connection tested", False,
                               "Not tested yet.")
    return [ChecklistItem("nextech_credentials", "Nextech credentials entered", entered,
                          "" if entered else "Practice id and user (or partner) credentials."),
            tested]


def _schema_items(practice: Practice) -> list[ChecklistItem]:
    with tenant_context(practice):
        types = AppointmentType.objects.filter(active=True).count()
        review = category_review_read()
        needed = stages_needed(practice)
        # Only the stages this practice needs, and only those pointing at a CRM stage: a
        # med spa with all eight rows is 3 of 3, never "8 of 3".
        mapped = set(StageMapping.objects.filter(canonical_stage__in=needed)
                     .exclude(ghl_stage_id="").values_list("canonical_stage", flat=True))
        locations = Location.objects.count()
    labels = dict(STAGE_CHOICES)  # "Surgical: Cancelled / No-Show": unambiguous
    unmapped = [labels[stage] for stage in sorted(needed - mapped)]
    left = review.unmapped + review.unconfirmed
    return [
        ChecklistItem("catalog", "Appointment types and purposes pulled", types > 0,
                      f"{types} active types" if types else "Run set-up."),
        ChecklistItem("categories", "Categories confirmed", types > 0 and left == 0,
                      f"{left} unconfirmed ({review.unmapped} unmapped)" if left else ""),
        ChecklistItem("stages", "Pipeline stages mapped", not unmapped,
                      f"{len(mapped)} of {len(needed)} mapped"
                      + (f"; map {', '.join(unmapped)}" if mapped and unmapped else "")
                      + ("; run set-up" if not mapped else "")),
        ChecklistItem("locations", "Locations pulled", locations > 0,
                      f"{locations} locations" if locations else "Run set-up."),
    ]


def _payments_item(practice: Practice) -> ChecklistItem:
    surgical = practice.practice_type != Practice.Kind.MEDSPA
    if practice.payments_decided_at is None:
        return ChecklistItem("payments", "Payments decided", False,
                             "Choose on or off under Sync (read the warning), then save.")
    detail = f"Payments sync is {'on' if practice.payments_enabled else 'off'}." + (
        " Not recommended for plastic-surgery practices." if surgical and practice.payments_enabled
        else "")
    return ChecklistItem("payments", "Payments decided", True, detail)


def _activated_item(practice: Practice, steps: list[ChecklistItem]) -> ChecklistItem:
    """Polled with steps still open is said outright, so the two never contradict."""
    active = practice.status in ACTIVE_STATUSES
    left = sum(1 for item in steps if not item.done)
    detail = practice.get_status_display()
    if active and left:
        detail += f", with {left} onboarding step{'s' if left > 1 else ''} still open"
    return ChecklistItem("activated", "Activated", active, detail)


def practice_checklist_read(*, practice: Practice) -> list[ChecklistItem]:
    """What is done and what is left of the practice's onboarding, in order."""
    ghl = ghl_connection_read(practice=practice)
    steps = [
        ChecklistItem("created", "Practice created", True, f"schema {practice.schema_name}"),
        *_nextech_items(practice),
        ChecklistItem("ghl", "GoHighLevel connected", ghl.state == "connected",
                      ghl.detail or ghl.label),
        *_schema_items(practice),
        _payments_item(practice),
    ]
    return [*steps, _activated_item(practice, steps)]


def checklist_open_while_active(*, practice: Practice, items: list[ChecklistItem]) -> str:
    """The warning the practice page shows above the checklist, or ""."""
    left = [item.label for item in items if not item.done and item.key != "activated"]
    if practice.status not in ACTIVE_STATUSES or not left:
        return ""
    return (f"This practice is polled ({practice.get_status_display().lower()}) but its "
            f"onboarding is not finished: {', '.join(left)}.")


# Test connection ---------------------------------------------------------------------

def nextech_failure_explain(error: ApiError, *, practice_id: str) -> str:
    """One clear sentence per way the test can fail (Azure AD codes, then statuses)."""
    detail = error.detail
    if error.kind is ErrorKind.RATE_LIMITED:
        return ("Nextech is rate limiting this API user (too many requests). Wait a minute, "
                "then test again.")
    if error.kind is ErrorKind.RETRY:
        if error.status is None:
            return (f"Nextech could not be reached ({detail}). Check the API address and the "
                    "network, then test again.")
        return (f"Nextech answered with a server error ({error.status}). This is on "
                "Nextech's side: test again later.")
    if "AADSTS50055" in detail or "password is expired" in detail.lower():
        return ("The Nextech password has expired. The practice must set a new password for "
                "the API user in Nextech; enter it here and test again.")
    if "AADSTS50126" in detail or "invalid_grant" in detail:
        return ("Nextech refused the user name or password. Check both (the user name ends "
                "in @nextech-api.com) and test again.")
    if "AADSTS7000215" in detail or "AADSTS700016" in detail or error.status == 401:
        return "Nextech does not recognise the application (client) id or the partner secret."
    if "AADSTS500011" in detail:
        return "Nextech does not know the resource entered; use the one issued with the user."
    if error.status == 403:
        return (f"Signed in, but this user has no access to practice id {practice_id}. Check "
                "the practice id Nextech issued.")
    if "not connected" in detail:
        return "Enter the Nextech practice id and credentials, save, then test."
    return f"Nextech refused the connection ({error_summary(error)})."


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    message: str


def _test_client(practice: Practice, credential: NextechCredential,
                 session: requests.Session | None, clock: Clock) -> NextechClient:
    # A fresh sign-in with what was entered, in memory: the stored tokens would let a
    # wrong new password pass, and a failed test must not discard working tokens.
    return NextechClient(
        base_url=credential.base_url, practice_id=str(credential.practice_guid),
        flavor=practice.emr_flavor,  # type: ignore[arg-type]
        credentials=nextech_credentials(credential, flavor=practice.emr_flavor),
        token_url=credential.token_url, token_store=InMemoryTokenStore(), session=session,
        clock=clock)


def nextech_connection_test(*, practice: Practice, session: requests.Session | None = None,
                            clock: Clock = SYSTEM_CLOCK) -> ConnectionTest:
    """Sign in with the stored credentials and read the practice's locations; record it."""
    credential = NextechCredential.objects.filter(practice=practice).first()
    if credential is None or credential.practice_guid is None:
        return ConnectionTest(False, "Enter the Nextech practice id and credentials, save, "
                                     "then test.")
    practice_id = str(credential.practice_guid)
    refused = credential_url_refusal(credential)
    if refused:  # checked before anything is sent: the address receives the password
        NextechCredential.objects.filter(pk=credential.pk).update(last_error=refused[:500])
        return ConnectionTest(False, refused)
    try:
        client = _test_client(practice, credential, session, clock)
        client.authenticate()
        client.locations_list()
    except ApiError as error:
        message = nextech_failure_explain(error, practice_id=practice_id)
        NextechCredential.objects.filter(pk=credential.pk).update(last_error=message[:500])
        log.info("nextech connection test failed for %s: %s %s", practice.schema_name,
                 error.kind, error.status)
        return ConnectionTest(False, message)
    except ValueError as error:  # credentials of the wrong kind for the flavor
        message = f"The credentials do not fit {practice.get_emr_flavor_display()}: {error}"
        NextechCredential.objects.filter(pk=credential.pk).update(last_error=message[:500])
        return ConnectionTest(False, message)
    NextechCredential.objects.filter(pk=credential.pk).update(
        last_verified_at=timezone.now(), last_error="")
    return ConnectionTest(True, "Nextech connection works: signed in and read the practice.")


# Set-up and activation -----------------------------------------------------------------

def practice_setup_run(*, practice: Practice) -> PracticeSetupSummary:
    """Pull the catalog and locations, suggest stages, ensure the CRM fields (idempotent)."""
    if ghl_connection_read(practice=practice).state != "connected":
        return PracticeSetupSummary(failures={"ghl": "Connect GoHighLevel first."})
    try:
        nextech = nextech_client_for(practice=practice)
        ghl = ghl_client_for(practice=practice)
    except ApiError as error:
        return PracticeSetupSummary(failures={error.system: error_summary(error)})
    ghl_location_name_refresh(practice=practice)
    return practice_crm_setup(practice=practice, nextech=nextech, ghl=ghl)


ACTIVATE_ANYWAY = "Activate anyway; unconfirmed types wait for review"


def practice_activate(*, practice: Practice, anyway: bool = False) -> tuple[bool, str]:
    """Start polling; the first tick backfills. Refused until both systems are connected,
    and, unless `anyway`, until every category is confirmed (the spec: "you must confirm
    all mappings are correct before we finalize"). Activated anyway, an appointment whose
    type is unconfirmed is noted as waiting for review and moves nothing until confirmed."""
    items = {item.key: item for item in practice_checklist_read(practice=practice)}
    missing = [items[key].label for key in ("nextech_tested", "ghl") if not items[key].done]
    if missing:
        return False, f"Not activated: {' and '.join(missing).lower()} first."
    categories = items["categories"]
    if not categories.done and not anyway:
        why = categories.detail or "no appointment types pulled"
        return False, (f"Not activated: categories not confirmed ({why}). Confirm them in "
                       f"the portal's category review, or use “{ACTIVATE_ANYWAY}”.")
    practice_set_status(practice=practice, status=Practice.Status.ACTIVE)
    left = [item.label for item in items.values() if not item.done and item.key != "activated"]
    note = f" Still open: {', '.join(left)}." if left else ""
    waiting = (" Appointments of unconfirmed types are noted as waiting for review and move "
               "nothing until their category is confirmed." if not categories.done else "")
    return True, f"Activated: the first poll backfills recent and upcoming visits.{note}{waiting}"
