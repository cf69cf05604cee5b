"""The spec's pipeline tables, row by row, and the categories that never move anything."""

from __future__ import annotations

import pytest

from integrations.categories import Stage
from integrations.engine.stages import stage_of, stages_by_pipeline
from tests.engine.builders import appointment, rules

SPEC_ROWS = [
    # Surgical pipeline
    ("t-consult", "pending", Stage.CONSULT_BOOKED),
    ("t-consult", "booked", Stage.CONSULT_BOOKED),
    ("t-consult", "fulfilled", Stage.CONSULT_COMPLETE),
    ("t-consult", "cancelled", Stage.SURGICAL_CANCELLED),
    ("t-consult", "noshow", Stage.SURGICAL_CANCELLED),
    ("t-surgery", "pending", Stage.SURGERY_SCHEDULED),
    ("t-surgery", "booked", Stage.SURGERY_SCHEDULED),
    ("t-surgery", "fulfilled", Stage.SURGERY_COMPLETE),
    ("t-surgery", "cancelled", Stage.SURGICAL_CANCELLED),
    ("t-surgery", "noshow", Stage.SURGICAL_CANCELLED),
    # Non-surgical pipeline
    ("t-nsconsult", "pending", Stage.BOOKED),
    ("t-nsconsult", "booked", Stage.BOOKED),
    ("t-nsconsult", "fulfilled", Stage.PATIENT),
    ("t-nsconsult", "cancelled", Stage.NON_SURGICAL_CANCELLED),
    ("t-nsconsult", "noshow", Stage.NON_SURGICAL_CANCELLED),
    ("t-botox", "pending", Stage.BOOKED),
    ("t-botox", "booked", Stage.BOOKED),
    ("t-botox", "fulfilled", Stage.PATIENT),
    ("t-botox", "cancelled", Stage.NON_SURGICAL_CANCELLED),
    ("t-botox", "noshow", Stage.NON_SURGICAL_CANCELLED),
]


@pytest.mark.parametrize(("type_id", "status", "stage"), SPEC_ROWS)
def test_spec_pipeline_table_row(type_id, status, stage):
    assert stage_of(appointment(type_id=type_id, status=status), rules()).stage is stage


@pytest.mark.parametrize("type_id", ["t-block", "t-preop", "t-postop"])
@pytest.mark.parametrize("status", ["booked", "fulfilled", "cancelled", "noshow"])
def test_block_pre_op_and_post_op_never_move_the_opportunity(type_id, status):
    decision = stage_of(appointment(type_id=type_id, status=status), rules())
    assert decision.stage is None
    assert "never moves" in decision.held_because


def test_online_appointments_move_nothing_unless_the_practice_routes_them():
    online = appointment(type_id="t-online", status="booked")
    assert stage_of(online, rules()).stage is None
    assert stage_of(online, rules(online_stage=Stage.BOOKED)).stage is Stage.BOOKED


def test_unmapped_type_is_uncategorized_and_queued_for_review():
    decision = stage_of(appointment(type_id="t-unknown"), rules())
    assert decision.stage is None
    assert "queued for review" in decision.held_because


def test_purpose_specific_mapping_beats_the_type_only_one():
    from integrations.categories import Category

    catalog = {
        ("t-consult", None): Category.SURGICAL_CONSULT,
        ("t-consult", "p-lips"): Category.NON_SURGICAL_CONSULT,
    }
    visit = appointment(type_id="t-consult", purpose_ids=("p-lips",), purpose_names=("Lip filler",))
    assert stage_of(visit, rules(categories=catalog)).stage is Stage.BOOKED


def test_med_spa_only_practice_flags_a_surgical_category_instead_of_guessing():
    decision = stage_of(appointment(type_id="t-surgery"), rules(surgical=False))
    assert decision.stage is None
    assert "flagged for review" in decision.held_because
    assert decision.flagged
    assert not stage_of(appointment(type_id="t-block"), rules(surgical=False)).flagged


def test_arrived_and_proposed_count_as_booked():
    assert stage_of(appointment(status="arrived"), rules()).stage is Stage.CONSULT_BOOKED
    assert stage_of(appointment(status="proposed"), rules()).stage is Stage.CONSULT_BOOKED


def test_late_cancellation_of_the_old_visit_never_beats_the_newer_booking():
    old = appointment("old", status="cancelled", booked_hours=0, last_updated=None)
    new = appointment("new", status="booked", booked_hours=5)
    # The cancellation is stamped after the rebooking (staff rebook, then cancel).
    from dataclasses import replace
    from datetime import timedelta

    old = replace(old, last_updated=new.last_updated + timedelta(minutes=3))
    for order in ([old, new], [new, old]):
        ((stage, governing),) = stages_by_pipeline(order, rules()).values()
        assert stage is Stage.CONSULT_BOOKED
        assert governing.id == "new"


def test_cancellation_governs_when_nothing_was_booked_after_it():
    consult = appointment("c", status="fulfilled", booked_hours=0)
    surgery = appointment("s", type_id="t-surgery", status="cancelled", booked_hours=10)
    ((stage, _),) = stages_by_pipeline([surgery, consult], rules()).values()
    assert stage is Stage.SURGICAL_CANCELLED


def test_an_unconfirmed_suggestion_moves_nothing_and_waits_for_review():
    from integrations.categories import Category

    visit = appointment(type_id="t-lunch")
    decision = stage_of(visit, rules(suggestions={("t-lunch", None): Category.BLOCK}))
    assert decision.stage is None
    assert decision.held_because == "suggested Block, not confirmed: waits for review"


def test_an_unconfirmed_purpose_suggestion_is_not_overruled_by_its_confirmed_type():
    from integrations.categories import Category

    visit = appointment(type_id="t-consult", purpose_ids=("p-lips",))
    waiting = rules(suggestions={("t-consult", "p-lips"): Category.NON_SURGICAL_CONSULT})
    assert stage_of(visit, waiting).stage is None
    assert stage_of(appointment(type_id="t-consult"), waiting).stage is Stage.CONSULT_BOOKED
