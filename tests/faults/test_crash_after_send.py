"""A worker killed right after each kind of CRM write went out, before it was marked
done: the next poll, another process, leaves the CRM as one uninterrupted poll does. A
note is looked for by its reference, a workflow enrolment in the contact's record of
enrolments (GoHighLevel cannot list a contact's workflows); tags, stages and contact
upserts are idempotent by nature.

Real `manage.py sync_now` processes against both sandboxes over HTTP (os._exit at the
crash point, as the OS would), on committed practices.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context

from integrations.engine.crashpoints import CRASH_EXIT_CODE
from integrations.models import OutboxOp
from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.seed import LOCAL
from tenants.models import Practice
from tests.faults.world import automations_set_up, notes_doubled, sandboxes_served, served_practice
from tests.support.served import crm_view, sync_now

# One of each kind of write: the contact, its tags, its stage, a note, an enrolment.
KINDS = ["contact_upsert", "tags_add", "opportunity_upsert", "note_add", "workflow_enrol"]


@pytest.fixture(scope="module")
def served_week(signing_keys):
    """The sandboxes, with a few patients in Nextech: visits seen and upcoming, a payment."""
    with sandboxes_served(signing_keys) as served:
        emr, today = served["emr"], datetime.now(LOCAL).date()
        for n, (type_id, days, status) in enumerate(
                [("5", -1, "fulfilled"), ("1", 3, "booked"), ("6", -2, "noshow")]):
            patient = actions.patient_add(
                emr, given=f"Sent{n}", family="Crash", email=f"sent{n}@example.com",
                phones={"mobile": f"(404) 555-06{n:02d}"},
                birth_date=datetime(1982, 5, 1 + n).date(), patient_status="Prospect").id
            actions.appointment_book(
                emr, patient_id=patient, location_id="1", practitioner_id="101",
                type_id=type_id, purpose_ids=[], status=status,
                start=datetime.combine(today + timedelta(days=days), day_time(9), LOCAL))
            if n == 0:
                actions.payment_add(emr, patient_id=patient, total=Decimal("125.50"),
                                    location_id="2", practitioner_id="103")
        yield served


def _practice(served: dict[str, Any], slug: str) -> tuple[Practice, str]:
    practice, location_id = served_practice(served, slug=slug, name=f"Crash {slug}",
                                            payments=True)
    workflows = served["ghl_app"].state.locations[location_id].workflows
    with schema_context(practice.schema_name):
        automations_set_up({w["name"]: w["id"] for w in workflows})
    return practice, location_id


@pytest.fixture(scope="module")
def crash_free(served_week, practices, django_db_blocker) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        practice, location_id = _practice(served_week, "sentbase")
        try:
            run = sync_now("sentbase")
            assert run.returncode == 0, run.stderr[-2000:]
            yield crm_view(served_week["ghl_app"], location_id)
        finally:
            practice.delete(force_drop=True)


def test_the_crash_free_run_makes_every_kind_of_write(crash_free):
    assert len(crash_free) == 3
    assert any(contact["tags"] for contact in crash_free.values())
    assert sum(len(contact["workflows"]) for contact in crash_free.values()) >= 4
    assert all(contact["notes"] and contact["opportunities"] for contact in crash_free.values())


@pytest.mark.parametrize("kind", KINDS)
def test_a_crash_right_after_a_write_went_out_then_a_rerun_equals_a_crash_free_run(
        kind, served_week, crash_free, practices, django_db_blocker):
    with django_db_blocker.unblock():
        practice, location_id = _practice(served_week, "sentcrash")
        try:
            crashed = sync_now("sentcrash", crash_at=f"drain.op_sent.{kind}")
            assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr[-2000:]
            with schema_context(practice.schema_name):
                # Sent, and not known to be: the case the rerun must get right.
                cut_off = OutboxOp.objects.filter(
                    state=OutboxOp.State.PENDING, attempts=1).order_by("-id").first()
                assert cut_off is not None and cut_off.kind == kind
            rerun = sync_now("sentcrash")
            assert rerun.returncode == 0, rerun.stderr[-2000:]

            view = crm_view(served_week["ghl_app"], location_id)
            assert notes_doubled(view) == []
            assert view == crash_free
            with schema_context(practice.schema_name):
                assert not OutboxOp.objects.exclude(state=OutboxOp.State.DONE).exists()
        finally:
            practice.delete(force_drop=True)
