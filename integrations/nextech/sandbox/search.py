"""Searches as Nextech runs them: prefixes, AND on repeats, OR on commas, starts-with strings,
pages of 10 (at most 50) in creation order with `_getpagesoffset` links."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

from integrations.nextech.polling import DATETIME_LASTUPDATED_SINCE, version_tuple
from integrations.nextech.sandbox.actions import SandboxRuleError, digits
from integrations.nextech.sandbox.state import AppointmentRow, PatientRow, PracticeState

DEFAULT_PAGE, MAX_PAGE = 10, 50
PREFIXES = ("gt", "ge", "lt", "le", "eq", "ne")
Predicate = Callable[[Any], bool]


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le,
    "eq": operator.eq, "ne": operator.ne}


def when_predicate(raw: str, value_of: Callable[[Any], datetime | None], *, field: str,
                   allow_time: bool = True) -> Predicate:
    """`ge2026-01-05`, `lt2026-01-05T10:00:00+00:00`: compare by day or by instant."""
    prefix, value = (raw[:2], raw[2:]) if raw[:2] in PREFIXES else ("eq", raw)
    compare = _COMPARISONS[prefix]
    if " " in value:
        raise SandboxRuleError(400, f"{field}: a literal '+' must be sent as %2B")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value)
        return lambda row: (v := value_of(row)) is not None and compare(v.date(), day)
    if not allow_time:
        raise SandboxRuleError(400, f"{field}: this server only accepts yyyy-MM-dd")
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SandboxRuleError(400, f"{field}: {value!r} is not a date or date-time") from None
    instant = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return lambda row: (v := value_of(row)) is not None and compare(v, instant)


def text_predicate(param: str, raw: str, values_of: Callable[[Any], Iterable[str]]) -> Predicate:
    """Case-insensitive, trimmed; starts-with unless `:exact` or `:contains`."""
    _, _, modifier = param.partition(":")
    wanted = [w.strip().lower() for w in raw.split(",")]

    def match(candidate: str) -> bool:
        have = candidate.strip().lower()
        if modifier == "exact":
            return have in wanted
        if modifier == "contains":
            return any(w in have for w in wanted)
        return any(have.startswith(w) for w in wanted)

    return lambda row: any(match(v) for v in values_of(row) if v)


def _appointment_fields(
        practice: PracticeState) -> dict[str, Callable[[AppointmentRow], list[str]]]:
    return {
        "status": lambda r: [practice.statuses[r.status_id].extra.get("fhir") or ""],
        "patient": lambda r: [r.patient_id or ""] + (
            [practice.patients[r.patient_id].chart_number] if r.patient_id in practice.patients
            else []),
        "location.id": lambda r: [r.location_id],
        "practitioner.id": lambda r: [r.practitioner_id or ""],
        "identifier": lambda r: [r.id],
    }


PATIENT_FIELDS: dict[str, Callable[[PatientRow], list[str]]] = {
    "family": lambda r: [r.family],
    "given": lambda r: [r.given],
    "name": lambda r: [r.given, r.family],
    "email": lambda r: [r.email],
    "phone": lambda r: [digits(p) for p in r.phones.values()],
    "address-postalcode": lambda r: [r.postal_code],
    "identifier": lambda r: [r.id, r.chart_number],
}


def predicates_build(practice: PracticeState, resource: str,
                     args: MultiDict[str, str]) -> list[Predicate]:
    allow_time = version_tuple(practice.config.server_version) >= DATETIME_LASTUPDATED_SINCE
    found: list[Predicate] = []
    fields: dict[str, Callable[[Any], list[str]]] = {}
    if resource == "Appointment":
        fields = dict(_appointment_fields(practice))
    elif resource == "Patient":
        fields = dict(PATIENT_FIELDS)
    elif resource == "PaymentReconciliation":
        fields = {"patient": lambda r: [r.patient_id], "status": lambda r: [r.status]}
    for param, raw in args.items(multi=True):
        name = param.partition(":")[0]
        if name == "_lastUpdated":
            found.append(when_predicate(raw, lambda r: r.last_updated, field=name,
                                        allow_time=allow_time))
        elif name == "date" and resource == "Appointment":
            found.append(when_predicate(raw, lambda r: r.start, field=name))
        elif name == "birthdate" and resource == "Patient":
            found.append(when_predicate(raw, lambda r: _midnight(r.birth_date), field=name))
        elif name in fields:
            value = digits(raw) if name == "phone" else raw
            if name in ("status", "patient", "location.id", "practitioner.id", "identifier"):
                param = f"{name}:exact"  # token parameters match whole values
            found.append(text_predicate(param, value, fields[name]))
    return found


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def bundle_page(*, rows: list[Any], render: Callable[[Any], dict[str, Any]], base_url: str,
                query_string: str, repeat_next: bool = False) -> dict[str, Any]:
    """One page of a searchset with self/first/previous/next/last links.

    `repeat_next` reproduces the docs' sample whose `next` always points at offset 0.
    """
    pairs = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True)]
    args = dict(pairs)
    try:
        count = min(MAX_PAGE, max(1, int(args.get("_count", DEFAULT_PAGE))))
        offset = max(0, int(args.get("_getpagesoffset", 0)))
    except ValueError:
        raise SandboxRuleError(400, "_count and _getpagesoffset must be numbers") from None
    # Keep the caller's own encoding (e.g. %2B) of every other parameter in the links.
    kept = "&".join(part for part in query_string.split("&")
                    if part and part.split("=")[0] not in ("_count", "_getpagesoffset"))

    def link(relation: str, at: int) -> dict[str, str]:
        query = "&".join(filter(None, [kept, f"_getpagesoffset={at}&_count={count}"]))
        return {"relation": relation, "url": f"{base_url}?{query}"}

    last = max(0, (len(rows) - 1) // count * count)
    links = [{"relation": "self", "url": f"{base_url}?{query_string}"}, link("first", 0)]
    if offset > 0:
        links.append(link("previous", max(0, offset - count)))
    if repeat_next:
        links.append(link("next", 0))
    elif offset + count < len(rows):
        links.append(link("next", offset + count))
    links.append(link("last", last))
    return {"resourceType": "Bundle", "type": "searchset", "total": len(rows), "link": links,
            "entry": [{"resource": render(row)} for row in rows[offset:offset + count]]}
