"""The FHIR writes Nextech documents, read from request bodies shaped like the vendor samples."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.nextech.fhir import Reader, ref_parse, text
from integrations.nextech.parse import address_parse, human_name
from integrations.nextech.patient_create import SELECT_PATIENT_STATUSES
from integrations.nextech.resources import NextechParseError
from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.actions import SandboxRuleError
from integrations.nextech.sandbox.render import appointment_render, patient_render, payment_render
from integrations.nextech.sandbox.state import PatientRow, PracticeState

Json = dict[str, Any]


def _reader(body: Any, resource_type: str) -> Reader:
    try:
        return Reader(body, resource_type=resource_type)
    except NextechParseError as exc:
        raise SandboxRuleError(400, exc.problem) from None


def _telecom(r: Reader) -> tuple[str, dict[str, str]]:
    phones = {str(t.get("use") or "home"): str(text(t.get("value")))
              for t in r.list("telecom")
              if t.get("system") in ("phone", "sms") and text(t.get("value"))}
    return r.telecom_first("email") or "", phones


def _patient_fields(practice: PracticeState, r: Reader) -> Json:
    given, _, family = human_name(r.list("name"))
    email, phones = _telecom(r)
    address = address_parse(next(iter(r.list("address")), None))
    try:
        birth = date.fromisoformat(str(r.raw.get("birthDate") or ""))
    except ValueError:
        birth = None
    location = r.ext_ref("patient-location")
    referral = r.ext_ref("referral-source")
    doctor = ref_parse(next(iter(r.list("generalPractitioner")), None))
    return {"given": given or "", "family": family or "", "email": email, "phones": phones,
            "birth_date": birth, "postal_code": (address.postal_code if address else "") or "",
            "patient_status": r.ext_text("patient-status") or "",
            "referral_source": (referral.id, referral.display or "") if referral and referral.id
            else None,
            "location_id": location.id if location else None,
            "general_practitioner_id": doctor.id if doctor else None}


def patient_create(practice: PracticeState, body: Any) -> Json:
    fields = _patient_fields(practice, _reader(body, "Patient"))
    missing = [label for label, ok in (
        ("name.given", fields["given"]), ("name.family", fields["family"]),
        ("telecom email", fields["email"]), ("telecom phone", fields["phones"]),
        ("birthDate", fields["birth_date"]), ("address.postalCode", fields["postal_code"]))
        if not ok]
    if practice.flavor == "practiceplus":
        missing += [label for label, ok in (
            ("generalPractitioner", fields["general_practitioner_id"]),
            ("referral-source", fields["referral_source"]),
            ("patient-status", fields["patient_status"])) if not ok]
    elif fields["patient_status"] and fields["patient_status"] not in SELECT_PATIENT_STATUSES:
        missing.append("patient-status (patient, prospect or patientprospect)")
    if missing:
        raise SandboxRuleError(400, "Required fields are missing or invalid: " + ", ".join(missing))
    if practice.flavor == "select" and fields["patient_status"]:
        # Written lower-case, read back the way Select shows it.
        fields["patient_status"] = {"patient": "Patient", "prospect": "Prospect",
                                    "patientprospect": "Patient Prospect"}[fields["patient_status"]]
    return patient_render(practice, actions.patient_add(practice, **fields))


def patient_update(practice: PracticeState, body: Any) -> Json:
    """PUT /Patient/ (no id in the path): a partial merge; name and birth date are ignored."""
    r = _reader(body, "Patient")
    chart = r.identifier("usual")
    row = practice.patients.get(str(r.id).lower()) or next(
        (p for p in practice.patients.values() if chart and p.chart_number == chart), None)
    if row is None:
        raise SandboxRuleError(404, "Patient was not found")
    fields = _patient_fields(practice, r)
    _patient_merge(row, fields)
    practice.touch(row)
    return patient_render(practice, row)


def _patient_merge(row: PatientRow, fields: Json) -> None:
    row.phones.update(fields["phones"])
    for key in ("email", "postal_code", "patient_status", "location_id", "referral_source",
                "general_practitioner_id"):
        if fields[key]:
            setattr(row, key, fields[key])


def appointment_create(practice: PracticeState, body: Any) -> Json:
    r = _reader(body, "Appointment")
    if text(r.raw.get("status")) != "proposed":
        raise SandboxRuleError(409, "status must be proposed")
    actors = {ref.kind: ref for ref in (ref_parse(p.get("actor")) for p in r.list("participant"))
              if ref}
    kind = r.ext_ref("appointment-type")
    patient_id = actors["patient"].id if "patient" in actors else None
    contained = [c for c in r.list("contained") if c.get("resourceType") == "Patient"]
    if patient_id is None and contained and practice.flavor == "select":
        prospect = _patient_fields(practice, _reader(contained[0], "Patient"))
        prospect["patient_status"] = "Prospect"
        patient_id = actions.patient_add(practice, **prospect).id
    missing = [name for name, ok in (("Patient", patient_id), ("Location", "location" in actors),
                                     ("Practitioner", "practitioner" in actors),
                                     ("appointment-type", kind and kind.id)) if not ok]
    if missing:
        raise SandboxRuleError(409, "Missing required items: " + ", ".join(missing))
    try:
        start = datetime.fromisoformat(str(r.raw.get("start")))
        end = datetime.fromisoformat(str(r.raw.get("end")))
    except ValueError:
        raise SandboxRuleError(409, "start and end must be date-times with an offset") from None
    hold = r.ext_text("appointment-schedule") == "hold"
    row = actions.appointment_book(
        practice, patient_id=patient_id, location_id=str(actors["location"].id),
        practitioner_id=actors["practitioner"].id, type_id=str(kind.id if kind else ""),
        purpose_ids=[ref.id for ref in (ref_parse(e.get("valueReference"))
                                        for e in r.extensions("appointment-purpose"))
                     if ref and ref.id],
        start=start, end=end, status="proposed" if hold else "pending",
        comment=text(r.raw.get("comment")) or "")
    return appointment_render(practice, row)


def appointment_update(practice: PracticeState, appointment_id: str, body: Any) -> Json:
    """PUT (Select) or PATCH (Practice+): a status, a custom status, or a cancel (request)."""
    r = _reader({**(body if isinstance(body, dict) else {}), "id": appointment_id}, "Appointment")
    custom = r.ext_ref("appointment-status")
    status = text(r.raw.get("status"))
    if status == "cancelled" and r.ext_text("request-type") == "queue":
        row = practice.appointments.get(appointment_id)
        if row is None:
            raise SandboxRuleError(404, f"Appointment {appointment_id} was not found")
        return appointment_render(practice, row)  # queued for staff; nothing changes yet
    wanted = custom.id if custom and custom.id else status
    if not wanted:
        raise SandboxRuleError(400, "send a status or an appointment-status extension")
    row = actions.appointment_change(practice, appointment_id=appointment_id, status=wanted)
    return appointment_render(practice, row)


def payment_create(practice: PracticeState, patient_id: str, body: Any) -> Json:
    r = _reader({**(body if isinstance(body, dict) else {}), "id": "new"}, "PaymentReconciliation")
    location = r.ext_ref("location")
    doctor = ref_parse(r.raw.get("requestProvider"))
    method, category = r.ext_text("payment-method"), r.ext_text("payment-category")
    missing = [name for name, ok in (
        ("requestProvider", doctor and doctor.id), ("payment-method", method),
        ("payment-date", r.extension("payment-date")), ("location", location and location.id),
        ("payment-category", category or practice.flavor == "practiceplus"),
        ("practice", r.extension("practice") or practice.flavor == "select")) if not ok]
    if missing:
        raise SandboxRuleError(400, "Required fields are missing: " + ", ".join(missing))
    try:
        total = Decimal(str(text((r.raw.get("total") or {}).get("value"))))
    except InvalidOperation:
        raise SandboxRuleError(400, "total.value must be a number") from None
    row = actions.payment_add(practice, patient_id=patient_id.lower(), total=total,
                              location_id=str(location.id if location else ""),
                              practitioner_id=str(doctor.id if doctor else ""),
                              method=str(method), category=category or "",
                              payment_date=r.ext_date("payment-date"))
    return payment_render(practice, row)
