"""Stored rows -> the JSON each flavor's docs show (nextech-samples/), quirks included."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from integrations.nextech.polling import version_tuple
from integrations.nextech.sandbox.state import (
    AppointmentRow,
    CatalogRow,
    PatientRow,
    PaymentRow,
    PracticeState,
    Row,
)

SELECT_SD = "https://select.nextech-api.com/api/structuredefinition/"
PP_SD = "https://api.pm.nextech.com/api/structuredefinition/"
Json = dict[str, Any]


def stamp_last_updated(when: datetime) -> str:
    """`2018-01-25T13:23:00.55+00:00`: UTC, milliseconds with trailing zeros trimmed."""
    utc = when.astimezone(UTC)
    millis = f"{utc.microsecond // 1000:03d}".rstrip("0")
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{millis}" if millis else "") + "+00:00"


def stamp_created(when: datetime, flavor: str) -> str:
    utc = when.astimezone(UTC)
    if flavor == "select":  # `2017-07-27T21:09:19.913Z`
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return stamp_last_updated(when)


def _sd(practice: PracticeState) -> str:
    return PP_SD if practice.flavor == "practiceplus" else SELECT_SD


def _ext_url(practice: PracticeState, name: str) -> str:
    # Practice+ appointments use bare names; everything else uses full structuredefinition urls.
    return name if practice.flavor == "practiceplus" else SELECT_SD + name


def _ref(kind: str, row_id: str, display: str | None) -> Json:
    return {"reference": f"{kind}/{row_id}", **({"display": display} if display else {})}


def _finish(practice: PracticeState, row: Row, body: Json) -> Json:
    if version_tuple(practice.config.server_version) >= (14, 3):
        body["meta"] = {"lastUpdated": stamp_last_updated(row.last_updated)}
    for key in row.broken:
        body.pop(key, None)
    return body


def practitioner_name(row: CatalogRow) -> str:
    return f"{row.extra.get('family', '')}, {row.extra.get('given', '')}".strip(", ")


def appointment_render(practice: PracticeState, row: AppointmentRow) -> Json:
    status = practice.statuses[row.status_id]
    kind = practice.appointment_types.get(row.type_id)
    extensions: list[Json] = []
    if practice.flavor == "select":
        extensions.append({"url": SELECT_SD + "appointment-status",
                           "valueReference": _ref("appointment-status", status.id, status.name)})
    elif row.arrived_at:
        extensions.append({"url": "arrival-time",
                           "valueDateTime": row.arrived_at.isoformat(timespec="seconds")})
    if kind:
        extensions.append({"url": _ext_url(practice, "appointment-type"),
                           "valueReference": _ref("appointment-type", kind.id, kind.name)})
    purposes = [practice.purposes[p] for p in row.purpose_ids if p in practice.purposes]
    extensions += [{"url": _ext_url(practice, "appointment-purpose"),
                    "valueReference": _ref("appointment-purpose", p.id, p.name)} for p in purposes]
    location = practice.locations.get(row.location_id)
    doctor = practice.practitioners.get(row.practitioner_id or "")
    actors = []
    if row.patient_id and row.patient_id in practice.patients:
        patient = practice.patients[row.patient_id]
        actors.append(_ref("Patient", patient.id, f"{patient.family}, {patient.given}"))
    if location:
        actors.append(_ref("Location", location.id, location.name))
    if doctor:
        actors.append(_ref("Practitioner", doctor.id, practitioner_name(doctor)))
    accepted = {"status": "accepted"} if practice.flavor == "practiceplus" else {}
    description = " - ".join(filter(None, [kind.name if kind else "",
                                           ", ".join(p.name for p in purposes)]))
    body: Json = {"resourceType": "Appointment", "id": row.id}
    if practice.flavor == "select":
        body["contained"] = _contained(location, doctor)
    body.update({
        "extension": extensions,
        "identifier": [{"use": "official", "value": row.id}],
        **({"status": status.extra["fhir"]} if status.extra.get("fhir") else {}),
        "description": f"{description} for {practitioner_name(doctor)}" if doctor else description,
        "start": row.start.isoformat(timespec="seconds") if row.start else None,
        "end": row.end.isoformat(timespec="seconds") if row.end else None,
        "created": stamp_created(row.created, practice.flavor),
        "comment": row.comment,
        "participant": [{"actor": actor, **accepted} for actor in actors],
    })
    return _finish(practice, row, body)


def _contained(location: CatalogRow | None, doctor: CatalogRow | None) -> list[Json]:
    found: list[Json] = []
    if location:
        found.append({"resourceType": "Location", "id": location.id, "name": location.name,
                      "identifier": [{"use": "official", "value": location.id}]})
    if doctor:
        found.append({"resourceType": "Practitioner", "id": doctor.id,
                      "identifier": [{"use": "official", "value": doctor.id}],
                      "name": [{"text": practitioner_name(doctor), "family": doctor.extra["family"],
                                "given": [doctor.extra["given"], ""]}]})
    return found


def patient_render(practice: PracticeState, row: PatientRow) -> Json:
    sd = _sd(practice)
    extensions: list[Json] = [{"url": sd + "patient-status", "valueString": row.patient_status}]
    if row.referral_source:
        ref_id, ref_name = row.referral_source
        extensions.append({"url": sd + "referral-source",
                           "valueReference": _ref("referral-source", ref_id, ref_name)})
    location = practice.locations.get(row.location_id or "")
    if location:
        extensions.append({"url": sd + "patient-location",
                           "valueReference": _ref("location", location.id, location.name)})
    telecom: list[Json] = [{"system": "email", "value": row.email}] if row.email else []
    telecom += [{"system": "phone", "value": number, "use": use}
                for use, number in row.phones.items()]
    body: Json = {
        "resourceType": "Patient", "id": row.id, "extension": extensions,
        "identifier": [{"use": "official", "value": row.id},
                       {"use": "usual", "value": row.chart_number},
                       {"system": "http://hl7.org/fhir/sid/us-ssn", "value": ""}],
        "name": [{"use": "official", "text": f"{row.given} {row.family}", "family": row.family,
                  "given": [row.given, ""], "suffix": [""]}],
        "telecom": telecom,
        "gender": row.gender,
        "birthDate": row.birth_date.isoformat() if row.birth_date else None,
        "address": [{"use": "home", "type": "both", "line": [], "city": "", "state": "",
                     "postalCode": row.postal_code, "country": "USA"}],
    }
    doctor = practice.practitioners.get(row.general_practitioner_id or "")
    if doctor:
        body["generalPractitioner"] = [_ref("practitioner", doctor.id, practitioner_name(doctor))]
    return _finish(practice, row, body)


def payment_render(practice: PracticeState, row: PaymentRow) -> Json:
    sd = _sd(practice)
    patient = practice.patients.get(row.patient_id)
    location = practice.locations.get(row.location_id)
    doctor = practice.practitioners.get(row.practitioner_id)
    extensions: list[Json] = [
        {"url": "http://hl7.org/fhir/StructureDefinition/Patient",
         "valueResourceReference": _ref("Patient", row.patient_id,
                                        f"{patient.family}, {patient.given}" if patient else None)},
        {"url": "http://hl7.org/fhir/StructureDefinition/Location",
         "valueResourceReference": _ref("Location", row.location_id,
                                        location.name if location else None)},
        {"url": sd + "payment-date", "valueDateTime":
            f"{row.payment_date.isoformat()}T05:00:00.000Z" if row.payment_date else None},
        {"url": sd + "payment-method", "valueString": row.method},
        {"url": sd + "payment-category", "valueString": row.category},
    ]
    if practice.flavor == "practiceplus":
        extensions.append({"url": sd + "practice", "valueReference": {"reference": "Practice/1"}})
        if row.correction:
            extensions.append({"url": sd + "correction-types", "valueCodeableConcept": {"coding": [
                {"system": "https://api.pm.nextech.com/api/CodeSystem/correction-type",
                 "code": row.correction}]}})
        extensions += [{"url": sd + name, "valueReference": {"reference":
                        f"PaymentReconciliation/{target}"}} for name, target in row.links.items()]
    body: Json = {
        "resourceType": "PaymentReconciliation", "id": row.id, "extension": extensions,
        "identifier": [{"use": "official", "value": row.id}],
        "status": row.status,
        "created": stamp_created(row.created, practice.flavor),
        "requestProvider": _ref("Practitioner", row.practitioner_id,
                                practitioner_name(doctor) if doctor else None),
        "detail": [{"type": {"coding": [{"system": "http://hl7.org/fhir/payment-type",
                                         "code": "payment"}]},
                    "amount": {"value": _money(row.total)}}],
        "total": {"value": _money(row.total)},
    }
    return _finish(practice, row, body)


def _money(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def catalog_render(practice: PracticeState, kind: str, row: CatalogRow) -> Json:
    """appointment-type / -purpose / -status, Location and Practitioner from catalog rows."""
    if kind == "Location":
        return {"resourceType": "Location", "id": row.id,
                "extension": [{"url": _sd(practice) + "managed",
                               "valueBoolean": row.extra.get("managed", True)}],
                "identifier": [{"use": "official", "value": row.id}], "status": "active",
                "name": row.name,
                "telecom": [{"system": "phone", "value": row.extra.get("phone", ""),
                             "use": "work"}],
                "address": {"use": "work", "type": "both", "line": [row.extra.get("line", "")],
                            "city": row.extra.get("city", ""), "state": row.extra.get("state", ""),
                            "postalCode": row.extra.get("postal_code", "")}}
    if kind == "Practitioner":
        return {"resourceType": "Practitioner", "id": row.id,
                "identifier": [{"use": "official", "value": row.id},
                               {"system": "http://hl7.org/fhir/sid/us-npi",
                                "value": row.extra.get("npi", "")}],
                "active": True, "name": [{"text": practitioner_name(row),
                                          "family": row.extra["family"],
                                          "given": [row.extra["given"], ""]}]}
    name_url = SELECT_SD + (kind if kind == "appointment-purpose" else f"{kind}#name")
    extensions: list[Json] = [{"url": name_url, "valueString": row.name}]
    if kind == "appointment-type":
        extensions.append({"url": SELECT_SD + "appointment-type#defaultDuration",
                           "valueInteger": row.extra.get("duration", 0)})
    if kind == "appointment-purpose" and row.extra.get("type_id") in practice.appointment_types:
        parent = practice.appointment_types[row.extra["type_id"]]
        extensions.append({"url": SELECT_SD + "appointment-type",
                           "valueReference": _ref("appointment-type", parent.id, parent.name)})
    return {"resourceType": kind, "id": row.id, "extension": extensions}
