"""Events: one version of an appointment or payment as Nextech reported it.

Each distinct event gets exactly one contact note (the audit trail) and fires its
automations once; the event key is what makes "the same event polled again" a no-op.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from integrations.engine.desired import money
from integrations.engine.facts import AppointmentFact, PaymentFact, Rules, StatusClass
from integrations.engine.stages import category_of, uncategorized_reason

NOTE_MARK = "AX Connect ref"


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:16]


def appointment_event_key(appointment: AppointmentFact) -> str:
    """Same visible appointment state, same key: a re-save that changes nothing is no event."""
    return (
        "appt:"
        + appointment.id
        + ":"
        + _digest(
            appointment.status,
            appointment.status_label,
            appointment.date,
            appointment.type_id,
            appointment.purpose_ids,
            appointment.practitioner,
            appointment.location_id,
        )
    )


def payment_event_key(payment: PaymentFact) -> str:
    return "pay:" + payment.id + ":" + _digest(payment.status, payment.total, payment.payment_date)


def appointment_note(appointment: AppointmentFact, rules: Rules, *, key: str) -> str:
    category = category_of(appointment, rules)
    category_text = (category.label if category
                     else f"Uncategorized ({uncategorized_reason(appointment, rules)})")
    lines = [
        f"Nextech appointment: {appointment.status_label or 'no status'}",
        f"Type: {appointment.type_name or '-'}",
        f"Purpose: {', '.join(appointment.purpose_names) or '-'}",
        f"Practitioner: {appointment.practitioner or '-'}",
        f"Location: {appointment.location_name or '-'}",
        f"Date: {appointment.date.month}/{appointment.date.day}/{appointment.date.year}",
        f"Category: {category_text}",
        f"({NOTE_MARK} {key})",
    ]
    return "\n".join(lines)


def payment_void_key(payment: PaymentFact) -> str:
    """One per payment, whatever versions follow: a payment is taken back once."""
    return "pay:" + payment.id + ":voided"


# How an active payment's note begins: what tells a payment that was noted.
PAYMENT_NOTE_HEAD = "Nextech payment: active"


def payment_note(payment: PaymentFact, *, key: str) -> str:
    """The note for an active payment (the spec's trigger)."""
    return _payment_lines(PAYMENT_NOTE_HEAD, f"${money(payment.total)}", payment, key=key)


def payment_void_note(payment: PaymentFact, *, key: str) -> str:
    """The note for a noted payment Nextech no longer counts (voided, entered in error).
    The amount is the payment's own, never the negative of the row that voids it."""
    return _payment_lines(f"Nextech payment voided ({payment.status})",
                          f"${money(abs(payment.total))}, no longer counted", payment, key=key)


def _payment_lines(head: str, amount: str, payment: PaymentFact, *, key: str) -> str:
    when = payment.payment_date
    lines = [
        head,
        f"Amount: {amount}",
        f"Date: {when.month}/{when.day}/{when.year}" if when else "Date: -",
        f"({NOTE_MARK} {key})",
    ]
    return "\n".join(lines)


def payment_note_plan(payment: PaymentFact, *, noted: set[str]) -> tuple[str, str] | None:
    """The note a payment event gets, as (event key, body), or None.

    `noted`: ids of the patient's payments noted as active so far; updated here. An
    active payment is noted; one that no longer counts is noted as voided only if it was
    noted before: a payment cancelled before it was ever seen, and the cancelled row
    that voids another, are no payment the contact has heard of.
    """
    if payment.status == "active":
        noted.add(payment.id)
        key = payment_event_key(payment)
        return key, payment_note(payment, key=key)
    if payment.id in noted:
        key = payment_void_key(payment)
        return key, payment_void_note(payment, key=key)
    return None


@dataclass(frozen=True)
class Enrolment:
    key: str
    workflow_id: str
    reason: str


_TRIGGER_OF = {
    StatusClass.BOOKED: "booked",
    StatusClass.FULFILLED: "fulfilled",
    StatusClass.CANCELLED: "cancelled",
    StatusClass.NO_SHOW: "noshow",
}


def appointment_enrolments(
    appointment: AppointmentFact, rules: Rules, *, key: str
) -> list[Enrolment]:
    trigger = _TRIGGER_OF.get(appointment.status_class)
    if trigger is None:
        return []
    category = category_of(appointment, rules)
    return [
        Enrolment(
            key=f"wf:{rule.workflow_id}:{key}",
            workflow_id=rule.workflow_id,
            reason=f"appointment {trigger}",
        )
        for rule in rules.automations
        if rule.trigger == trigger and rule.applies_to(category)
    ]


def payment_enrolments(payment: PaymentFact, rules: Rules, *, key: str) -> list[Enrolment]:
    if payment.status != "active":
        return []
    return [
        Enrolment(
            key=f"wf:{rule.workflow_id}:{key}",
            workflow_id=rule.workflow_id,
            reason="payment received",
        )
        for rule in rules.automations
        if rule.trigger == "payment"
    ]
