"""The rules a tick decides with are what staff set up, read in one statement, and read
anew by every tick: a change made in the admin or the portal applies to the next one."""

from __future__ import annotations

from integrations.categories import Category
from integrations.engine.facts import Automation, Routing
from integrations.engine.facts_load import rules_load
from integrations.models import (
    AppointmentPurpose,
    AppointmentType,
    AutomationRule,
    CategoryMapping,
    EngineSettings,
    Location,
)


def _catalog() -> None:
    consult = AppointmentType.objects.create(nextech_id="1", name="Consult")
    botox = AppointmentType.objects.create(nextech_id="5", name="Injectables")
    lips = AppointmentPurpose.objects.create(nextech_id="51", name="Lips", appointment_type=botox)
    CategoryMapping.objects.create(appointment_type=consult, category=Category.SURGICAL_CONSULT,
                                   source=CategoryMapping.Source.CONFIRMED)
    CategoryMapping.objects.create(appointment_type=botox, purpose=lips,
                                   category=Category.NON_SURGICAL_CONSULT,
                                   source=CategoryMapping.Source.IMPORTED)
    CategoryMapping.objects.create(appointment_type=botox,
                                   category=Category.NON_SURGICAL_APPOINTMENT)  # suggested


def test_the_rules_are_the_mappings_automations_and_routing_staff_set_up(
        in_practice, django_assert_num_queries):
    _catalog()
    AutomationRule.objects.create(trigger="booked", workflow_id="wf-booked")
    AutomationRule.objects.create(trigger="fulfilled", workflow_id="wf-review",
                                  categories=[Category.SURGICAL_CONSULT.value])
    AutomationRule.objects.create(trigger="noshow", workflow_id="wf-off", active=False)
    Location.objects.create(nextech_id="4", name="South", routing_tag="south",
                            routing_user_id="u-1")
    Location.objects.create(nextech_id="6", name="North")  # routes nowhere
    settings = EngineSettings.current()

    with django_assert_num_queries(1):
        rules = rules_load(in_practice, settings=settings)

    assert rules.categories == {("1", None): Category.SURGICAL_CONSULT,
                                ("5", "51"): Category.NON_SURGICAL_CONSULT}
    assert rules.suggestions == {("5", None): Category.NON_SURGICAL_APPOINTMENT}
    assert rules.automations == (
        Automation(trigger="booked", workflow_id="wf-booked"),
        Automation(trigger="fulfilled", workflow_id="wf-review",
                   categories=frozenset({Category.SURGICAL_CONSULT.value})))
    assert rules.routing == {"4": Routing(tag="south", user_id="u-1", workflow_id="")}


def test_a_practice_with_nothing_set_up_has_empty_rules(in_practice):
    rules = rules_load(in_practice)
    assert (rules.categories, rules.suggestions, rules.automations, rules.routing) == (
        {}, {}, (), {})


def test_a_mapping_staff_confirm_applies_to_the_next_read(in_practice):
    _catalog()
    before = rules_load(in_practice)
    CategoryMapping.objects.filter(appointment_type__nextech_id="5", purpose=None).update(
        source=CategoryMapping.Source.CONFIRMED)
    after = rules_load(in_practice)
    assert ("5", None) not in before.categories
    assert after.categories[("5", None)] is Category.NON_SURGICAL_APPOINTMENT
