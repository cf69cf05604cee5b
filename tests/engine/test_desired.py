"""Which CRM fields each trigger fills, and the rules for visits, birthdays and money."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

from integrations.categories import Pipeline, Stage
from integrations.engine.desired import contact_desired, lifetime_value
from integrations.engine.facts import Routing
from tests.engine.builders import TODAY, appointment, patient, payment, rules

APPOINTMENT_FIELDS = {
    "nxt_appointment_date",
    "nxt_appointment_time",
    "nxt_appointment_location",
    "nxt_appointment_practitioner",
    "nxt_appointment_purpose",
    "nxt_appointment_status",
    "nxt_appointment_type",
    "nxt_patient_id",
    "appointment_category",
}


def desired(appointments=(), payments=(), **rule_overrides):
    return contact_desired(
        patient=patient(),
        appointments=appointments,
        payments=payments,
        rules=rules(**rule_overrides),
        today=TODAY,
    )


def test_pending_or_confirmed_fills_contact_appointment_and_next_visit_fields():
    state = desired([appointment(status="booked", purpose_names=("Breast Augmentation",))])
    assert state.core == {
        "firstName": "Dana",
        "lastName": "Reyes",
        "email": "dana.reyes@example.com",
        "phone": "+14155550100",
    }
    assert set(state.fields) >= APPOINTMENT_FIELDS
    assert state.fields["next_visit_date"] == (TODAY + timedelta(days=7)).isoformat()
    assert state.fields["next_visit_service"] == "Breast Augmentation"
    assert state.fields["nxt_next_visit_time"] == "10:00 AM"
    assert state.fields["appointment_category"] == "Surgical Consult"
    assert state.fields["nxt_appointment_status"] == "Booked"
    assert "last_visit_date" not in state.fields
    assert "nxt_birthday" not in state.fields
    assert "dateOfBirth" not in state.core


def test_fulfilled_fills_last_visit_birthday_and_native_date_of_birth():
    visit = appointment(status="fulfilled", day=TODAY - timedelta(days=1))
    state = desired([visit])
    assert set(state.fields) >= APPOINTMENT_FIELDS
    assert state.fields["last_visit_date"] == (TODAY - timedelta(days=1)).isoformat()
    assert state.fields["last_visit_service"] == "Surgical Consult"
    assert state.fields["nxt_birthday"] == "1988-04-12"
    assert state.core["dateOfBirth"] == "1988-04-12"
    assert state.fields["next_visit_date"] == ""  # nothing upcoming
    assert state.fields["nxt_next_visit_time"] == ""


def test_times_read_as_the_front_desk_says_them():
    for start, shown in ((time(0, 5), "12:05 AM"), (time(9, 0), "9:00 AM"),
                         (time(12, 0), "12:00 PM"), (time(14, 30), "2:30 PM")):
        state = desired([appointment(start_time=start)])
        assert (state.fields["nxt_appointment_time"], state.fields["nxt_next_visit_time"]) == (
            shown, shown)


def test_two_visits_on_one_day_the_next_visit_is_the_earlier_one():
    state = desired([appointment("a-1", start_time=time(15, 0)),
                     appointment("a-2", start_time=time(8, 30))])
    assert state.fields["nxt_next_visit_time"] == "8:30 AM"


def test_cancelled_or_no_show_routes_to_cancelled_stage_without_next_visit():
    for status in ("cancelled", "noshow"):
        state = desired([appointment(status=status)])
        assert state.fields["next_visit_date"] == ""
        assert state.fields["nxt_appointment_status"] == status.title()
        assert state.opportunities[Pipeline.SURGICAL].stage is Stage.SURGICAL_CANCELLED


def test_next_visit_is_the_earliest_upcoming_visit_still_on():
    later = appointment("later", day=TODAY + timedelta(days=20), booked_hours=1)
    sooner = appointment(
        "sooner", day=TODAY + timedelta(days=3), status="cancelled", booked_hours=2
    )
    soonest_on = appointment(
        "on", day=TODAY + timedelta(days=5), booked_hours=3, type_id="t-postop"
    )
    state = desired([later, sooner, soonest_on])
    assert state.fields["next_visit_date"] == (TODAY + timedelta(days=5)).isoformat()


def test_leads_stay_open_until_fulfilled_then_won():
    assert desired([appointment(status="booked")]).opportunities[Pipeline.SURGICAL].status == "open"
    fulfilled = desired([appointment(status="fulfilled", day=TODAY)])
    assert fulfilled.opportunities[Pipeline.SURGICAL].status == "won"


def test_existing_patients_stay_won_through_a_cancellation():
    state = contact_desired(
        patient=patient(patient_status="Patient"),
        appointments=[appointment(status="cancelled")],
        payments=[],
        rules=rules(),
        today=TODAY,
    )
    target = state.opportunities[Pipeline.SURGICAL]
    assert (target.stage, target.status) == (Stage.SURGICAL_CANCELLED, "won")


def test_payments_set_invoice_amount_last_payment_and_lifetime_value():
    state = desired(
        [appointment(type_id="t-botox", status="fulfilled", day=TODAY)],
        [
            payment("p1", total="250.00", day=date(2026, 2, 1)),
            payment("p2", total="400.00", day=date(2026, 3, 1)),
            payment("p3", total="999.00", status="cancelled"),
            payment("p4", total="-50.00", day=date(2026, 2, 15)),
        ],
    )
    assert state.fields["invoice_paid_amount"] == "400.00"
    assert state.fields["nxt_last_payment_date"] == "2026-03-01"
    assert state.fields["nxt_payment_status"] == "active"
    assert state.fields["patient_lifetime_value"] == "600.00"
    assert state.opportunities[Pipeline.NON_SURGICAL].value == Decimal("600.00")


def test_payments_all_voided_take_back_what_the_contact_showed():
    state = desired([appointment()], [payment("p1", total="250.00", status="cancelled"),
                                      payment("p2", total="-250.00", status="cancelled")])
    assert state.fields["patient_lifetime_value"] == "0.00"
    assert state.fields["invoice_paid_amount"] == state.fields["nxt_payment_status"] == ""


def test_payments_switched_off_write_no_money():
    state = desired([appointment()], [payment()], payments_enabled=False)
    assert "patient_lifetime_value" not in state.fields
    assert state.opportunities[Pipeline.SURGICAL].value is None


def test_lifetime_value_counts_a_payment_polled_twice_once():
    p = payment("p1", total="120.00")
    assert lifetime_value([p, p, payment("p2", total="30.00")]) == Decimal("150.00")


def test_location_routing_adds_its_tag_and_assigns_the_user():
    state = desired(
        [appointment(location_id="loc-2", location_name="Uptown")],
        routing={"loc-2": Routing(tag="Uptown Patient", user_id="user-7")},
    )
    assert "Uptown Patient" in state.tags
    assert state.assigned_user_id == "user-7"
    assert state.fields["nxt_appointment_location"] == "Uptown"


def test_service_tags_mark_services_received():
    state = desired(
        [appointment(type_id="t-botox", status="fulfilled", day=TODAY, purpose_names=("Botox",))],
        service_tag_template="NXT Service: {service}",
    )
    assert state.tags == frozenset({"NXT Service: Botox"})


def test_location_routing_enrols_the_locations_workflow():
    state = desired([appointment(location_id="loc-2")],
                    routing={"loc-2": Routing(workflow_id="wf-uptown")})
    assert state.workflows == frozenset({"wf-uptown"})
