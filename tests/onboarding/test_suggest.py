"""Category suggestions from names: what the client sees pre-filled in the spreadsheet."""

from __future__ import annotations

import pytest

from integrations.categories import Category
from integrations.onboarding import category_suggest

SC, SA = Category.SURGICAL_CONSULT, Category.SURGICAL_APPOINTMENT
NSC, NSA = Category.NON_SURGICAL_CONSULT, Category.NON_SURGICAL_APPOINTMENT
BLOCK, PRE, POST, ONLINE = Category.BLOCK, Category.PRE_OP, Category.POST_OP, Category.ONLINE

TYPE_ONLY = [
    ("Consult", SC),
    ("Consultation", SC),
    ("New Patient Consultation", SC),
    ("Surgical Consult", SC),
    ("Aesthetic Consult", NSC),
    ("Injectable Consult", NSC),
    ("Laser Consultation", NSC),
    ("Cosmetic Surgery", SA),
    ("Surgery", SA),
    ("OR Time", SA),
    ("Breast Augmentation", SA),
    ("Rhinoplasty", SA),
    ("Tummy Tuck", SA),
    ("Lipo", SA),
    ("Liposuction 360", SA),
    ("Facelift", SA),
    ("Upper Blepharoplasty", SA),
    ("BBL", SA),
    ("Pre-Op", PRE),
    ("PreOp Visit", PRE),
    ("pre op appointment", PRE),
    ("Post-Op", POST),
    ("Postoperative Check", POST),
    ("1 Week Post Op", POST),
    ("Block", BLOCK),
    ("Lunch", BLOCK),
    ("Staff Meeting", BLOCK),
    ("Admin", BLOCK),
    ("Hold", BLOCK),
    ("Virtual Consult", ONLINE),
    ("Online Consultation", ONLINE),
    ("Telehealth Follow-up", ONLINE),
    ("Botox", NSA),
    ("Dermal Filler", NSA),
    ("Injectables", NSA),
    ("Laser Hair Removal", NSA),
    ("IPL Photofacial", NSA),
    ("BBL Photofacial", NSA),  # BroadBand Light, the laser, not the butt lift
    ("Facial", NSA),
    ("Chemical Peel", NSA),
    ("HydraFacial", NSA),
    ("Microneedling", NSA),
    ("CoolSculpting", NSA),
    ("Skin Treatment", NSA),
    ("Follow Up", None),
    ("New Patient", None),
    ("", None),
]


@pytest.mark.parametrize(("type_name", "expected"), TYPE_ONLY)
def test_a_type_name_suggests_its_category(type_name: str, expected: Category | None) -> None:
    assert category_suggest(type_name=type_name) == expected


WITH_PURPOSE = [
    # (type, purpose, expected): the purpose refines or overrides what the type says
    ("Surgical Consult", "Breast Augmentation", SC),
    ("Cosmetic Surgery", "Blepharoplasty", SA),
    ("Consultation", "Botox", NSC),
    ("Consultation", "Rhinoplasty", SC),
    ("Follow Up", "Botox Touch-up", NSA),
    ("Procedure", "Rhinoplasty", SA),
    ("Surgical Consult", "Virtual", ONLINE),
    ("Cosmetic Surgery", "Pre-Op Visit", PRE),
    ("Post-Op", "6 Week Post-Op", POST),
    ("Block", "Lunch", BLOCK),
    ("Injectables", "Kybella", NSA),
]


@pytest.mark.parametrize(("type_name", "purpose_name", "expected"), WITH_PURPOSE)
def test_a_purpose_refines_the_type(type_name: str, purpose_name: str,
                                    expected: Category) -> None:
    assert category_suggest(type_name=type_name, purpose_name=purpose_name) == expected


def test_or_in_capitals_is_the_operating_room_but_or_in_a_sentence_is_not() -> None:
    assert category_suggest(type_name="Botox or Filler") == NSA
    assert category_suggest(type_name="BOTOX OR FILLER") == NSA
    assert category_suggest(type_name="Minor OR Case") == SA


def test_a_plain_consult_at_a_med_spa_is_non_surgical() -> None:
    assert category_suggest(type_name="Consultation", surgical_practice=False) == NSC
    assert category_suggest(type_name="Rhinoplasty Consult", surgical_practice=False) == SC
