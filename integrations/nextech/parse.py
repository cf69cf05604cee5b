"""Raw Nextech JSON -> typed records, at the edge; both flavors, all documented quirks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from integrations.nextech.fhir import Json, Reader, human_name, ref_parse, text
from integrations.nextech.resources import (
    Address,
    Appointment,
    AppointmentPurpose,
    AppointmentStatus,
    AppointmentType,
    Location,
    NextechParseError,
    PatientType,
    PaymentReconciliation,
    Phone,
    Practitioner,
)
from integrations.nextech.resources import Patient as PatientRecord

T = TypeVar("T")
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def appointment_parse(raw: Any) -> Appointment:
    r = Reader(raw, resource_type="Appointment")
    ident = r.require_id()
    # Participants arrive in any order, with capitalised or lower-case kinds.
    actors = [ref_parse(p.get("actor")) for p in r.list("participant")]
    by_kind = {a.kind: a for a in reversed(actors) if a is not None}
    start = r.datetime_of("start", r.raw.get("start"))
    if start is None:
        r.fail("start is missing")
    return Appointment(
        id=ident,
        status=text(r.raw.get("status")),
        practice_status=r.ext_ref("appointment-status"),
        start=start,
        end=r.datetime_of("end", r.raw.get("end")),
        patient=by_kind.get("patient"),
        location=by_kind.get("location"),
        practitioner=by_kind.get("practitioner"),
        appointment_type=r.ext_ref("appointment-type"),
        purposes=tuple(
            ref for ref in (ref_parse(e.get("valueReference") or e.get("valueResourceReference"))
                            for e in r.extensions("appointment-purpose")) if ref
        ),
        description=text(r.raw.get("description")),
        created=r.datetime_of("created", r.raw.get("created")),
        last_updated=r.last_updated(),
        arrival_time=r.ext_datetime("arrival-time"),
    )


def address_parse(item: Json | None) -> Address | None:
    if not item:
        return None
    lines = [x for x in (text(line) for line in item.get("line") or []) if x]
    return Address(line=", ".join(lines) or None, city=text(item.get("city")),
                   state=text(item.get("state")), postal_code=text(item.get("postalCode")))


def patient_parse(raw: Any) -> PatientRecord:
    r = Reader(raw, resource_type="Patient")
    ident = r.require_id()
    given, middle, family = human_name(r.list("name"))
    telecom = r.list("telecom")
    # Practice+ marks a texting-preferred mobile with system "sms"; it is still a phone.
    phones = tuple(
        Phone(use=text(t.get("use")), value=str(text(t.get("value"))))
        for t in telecom
        if t.get("system") in ("phone", "sms") and text(t.get("value")) and t.get("use") != "old"
    )
    practitioners = [ref_parse(g) for g in r.list("generalPractitioner")]
    return PatientRecord(
        id=ident,
        chart_number=r.identifier("usual"),
        given=given,
        middle=middle,
        family=family,
        birth_date=r.date_of("birthDate", r.raw.get("birthDate")),
        email=r.telecom_first("email"),
        phones=phones,
        address=address_parse(next(iter(r.list("address")), None)),
        gender=text(r.raw.get("gender")),
        patient_status=r.ext_text("patient-status"),
        patient_type=r.ext_ref("patient-type"),
        referral_source=r.ext_ref("referral-source"),
        location=r.ext_ref("patient-location"),
        general_practitioner=next((p for p in practitioners if p), None),
        last_updated=r.last_updated(),
    )


def location_parse(raw: Any) -> Location:
    r = Reader(raw, resource_type="Location")
    managed = r.extension("managed")
    return Location(
        id=r.require_id(),
        name=text(r.raw.get("name")),
        status=text(r.raw.get("status")),
        managed=bool(managed.get("valueBoolean")) if managed else None,
        phone=r.telecom_first("phone"),
        address=address_parse(next(iter(r.list("address")), None)),
    )


def practitioner_parse(raw: Any) -> Practitioner:
    r = Reader(raw, resource_type="Practitioner")
    given, _, family = human_name(r.list("name"))
    names = r.list("name")
    # The docs' sample puts the NPI system in `use`; accept it in either place.
    npi = next((text(i.get("value")) for i in r.list("identifier")
                if NPI_SYSTEM in (i.get("system"), i.get("use"))), None)
    active = r.raw.get("active")
    return Practitioner(
        id=r.require_id(),
        given=given,
        family=family,
        display=text(names[0].get("text")) if names else None,
        active=active if isinstance(active, bool) else None,
        npi=npi,
    )


def payment_parse(raw: Any) -> PaymentReconciliation:
    r = Reader(raw, resource_type="PaymentReconciliation")
    ident = r.require_id()
    status = text(r.raw.get("status"))
    if status not in ("active", "cancelled", "entered-in-error"):
        r.fail(f"status {status!r} is not active, cancelled or entered-in-error")
    correction = r.extension("correction-types")
    codings = ((correction or {}).get("valueCodeableConcept") or {}).get("coding") or [{}]

    def chain(name: str) -> str | None:
        ref = r.ext_ref(name)
        return ref.id if ref else None

    return PaymentReconciliation(
        id=ident,
        status=status,
        total=r.decimal_of("total.value", (r.raw.get("total") or {}).get("value")),
        patient=r.ext_ref("Patient"),
        location=r.ext_ref("Location"),
        payment_date=r.ext_date("payment-date"),
        created=r.datetime_of("created", r.raw.get("created")),
        last_updated=r.last_updated(),
        method=r.ext_text("payment-method"),
        category=r.ext_text("payment-category"),
        provider=ref_parse(r.raw.get("requestProvider")),
        correction=text(codings[0].get("code")),
        voided_by=chain("voided-by"),
        voids=chain("voids"),
        recreated_by=chain("recreated-by"),
        recreates=chain("recreates"),
    )


def _catalog_name(r: Reader, kind: str) -> str:
    # Types and statuses name themselves with `<kind>#name`; purposes with the bare `<kind>` url.
    name = r.ext_text(f"{kind}#name") or r.ext_text(kind)
    if not name:
        r.fail("has no name extension")
    return str(name)


def appointment_type_parse(raw: Any) -> AppointmentType:
    r = Reader(raw, resource_type="appointment-type")
    duration = r.extension("appointment-type#defaultDuration")
    minutes = (duration or {}).get("valueInteger")
    return AppointmentType(id=r.require_id(), name=_catalog_name(r, "appointment-type"),
                           default_duration_minutes=minutes if isinstance(minutes, int) else None)


def appointment_purpose_parse(raw: Any) -> AppointmentPurpose:
    r = Reader(raw, resource_type="appointment-purpose")
    return AppointmentPurpose(id=r.require_id(), name=_catalog_name(r, "appointment-purpose"),
                              appointment_type=r.ext_ref("appointment-type"))


def appointment_status_parse(raw: Any) -> AppointmentStatus:
    r = Reader(raw, resource_type="appointment-status")
    return AppointmentStatus(id=r.require_id(), name=_catalog_name(r, "appointment-status"))


def patient_type_parse(raw: Any) -> PatientType:
    r = Reader(raw, resource_type="patient-type")
    return PatientType(id=r.require_id(), name=_catalog_name(r, "patient-type"))


PARSERS: Mapping[str, Callable[[Any], Any]] = {
    "Appointment": appointment_parse,
    "Patient": patient_parse,
    "Location": location_parse,
    "Practitioner": practitioner_parse,
    "PaymentReconciliation": payment_parse,
    "appointment-type": appointment_type_parse,
    "appointment-purpose": appointment_purpose_parse,
    "appointment-status": appointment_status_parse,
    "patient-type": patient_type_parse,
}


@dataclass(frozen=True)
class BundlePage(Generic[T]):
    """One page of a search: what parsed, what did not (with why), and where paging goes."""

    items: tuple[T, ...]
    errors: tuple[NextechParseError, ...]
    next_link: str | None
    total: int | None
    entry_count: int  # entries on the page, parsed or not; 0 ends paging


def bundle_parse(payload: Any, parse: Callable[[Any], T]) -> BundlePage[T]:
    """Parse every entry on its own, so one malformed resource never sinks the page."""
    if not isinstance(payload, dict) or payload.get("resourceType") != "Bundle":
        raise NextechParseError("Bundle", None, "the search answer is not a Bundle")
    items: list[T] = []
    errors: list[NextechParseError] = []
    entries = [e for e in payload.get("entry") or [] if isinstance(e, dict)]
    for entry in entries:
        try:
            items.append(parse(entry.get("resource")))
        except NextechParseError as exc:
            errors.append(exc)
    links = payload.get("link") or []
    next_link = next((text(link.get("url")) for link in links
                      if isinstance(link, dict) and link.get("relation") == "next"), None)
    total = payload.get("total")
    return BundlePage(items=tuple(items), errors=tuple(errors), next_link=next_link,
                      total=total if isinstance(total, int) else None, entry_count=len(entries))


def operation_outcome_message(payload: Any) -> str | None:
    """The human message of an OperationOutcome (or a bare {"message": ...}) error body."""
    if not isinstance(payload, Mapping):
        return None
    for issue in payload.get("issue") or []:
        if isinstance(issue, Mapping):
            found = text(issue.get("diagnostics")) or text((issue.get("details") or {}).get("text"))
            if found:
                return found
    return text(payload.get("message")) or text(payload.get("comment"))
