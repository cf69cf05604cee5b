"""Tolerant readers for Nextech's FHIR STU3 quirks, shared by every resource parser.

Select writes extension urls in full (`https://select.nextech-api.com/api/structuredefinition/
appointment-type`), Practice+ often bare (`appointment-type`); both mix `valueReference` with
the DSTU2 name `valueResourceReference` and `StructureDefinition` with `structuredefinition`.
So extensions are matched by their last path segment, case-insensitively, and references by
either value name.

JSON objects arrive as `dict`, and are tested as such: `isinstance(x, Mapping)` goes through
the ABC machinery, which was a quarter of parsing a page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from integrations.nextech.resources import NextechParseError, Ref

Json = Mapping[str, Any]
JsonList = list[Json]  # named here: inside Reader, `list` is its method


class Reader:
    """Reads one raw resource; every complaint names the resource type and id."""

    def __init__(self, raw: Any, *, resource_type: str) -> None:
        if not isinstance(raw, dict):
            raise NextechParseError(resource_type, None, "is not a JSON object")
        self.raw: Json = raw
        self.resource_type = resource_type
        self._by_name: dict[str, JsonList] | None = None
        self.id: str | None = text(raw.get("id"))
        self.id = self.id or self.official_identifier()
        found = str(raw.get("resourceType") or "")
        if found.lower() != resource_type.lower():
            self.fail(f"resourceType is {found!r}, expected {resource_type!r}")

    def fail(self, problem: str) -> NoReturn:
        raise NextechParseError(self.resource_type, self.id, problem)

    def require_id(self) -> str:
        if not self.id:
            self.fail("has neither an id nor an official identifier")
        return str(self.id)

    def official_identifier(self) -> str | None:
        return self.identifier("official")

    def identifier(self, use: str) -> str | None:
        for ident in self.list("identifier"):
            if ident.get("use") == use and text(ident.get("value")):
                return text(ident.get("value"))
        return None

    def last_updated(self) -> datetime | None:
        meta = self.raw.get("meta")
        return self.datetime_of("meta.lastUpdated", (meta or {}).get("lastUpdated"))

    def telecom_first(self, system: str) -> str | None:
        return next((text(t.get("value")) for t in self.list("telecom")
                     if t.get("system") == system and text(t.get("value"))), None)

    def list(self, key: str) -> list[Json]:
        value = self.raw.get(key)
        if value is None:
            return []
        if isinstance(value, dict):
            return [value]  # STU3 Location.address is one object where others use a list
        if not isinstance(value, list):
            self.fail(f"{key} is not a list")
        return [item for item in value if isinstance(item, dict)]

    def extensions(self, name: str) -> Iterator[Json]:
        """Extensions whose url's last path segment is `name` (full url or bare, any case)."""
        yield from self._extensions_by_name().get(name.lower(), ())

    def _extensions_by_name(self) -> dict[str, JsonList]:
        # A parser asks for up to eight extensions: the urls are lowered and split once.
        if self._by_name is None:
            self._by_name = {}
            for ext in self.list("extension"):
                name = str(ext.get("url") or "").lower().rpartition("/")[2]
                self._by_name.setdefault(name, []).append(ext)
        return self._by_name

    def extension(self, name: str) -> Json | None:
        return next(self.extensions(name), None)

    def ext_ref(self, name: str) -> Ref | None:
        ext = self.extension(name)
        return ref_parse(ext_value(ext, "Reference", "ResourceReference")) if ext else None

    def ext_text(self, name: str) -> str | None:
        ext = self.extension(name)
        return text(ext_value(ext, "String")) if ext else None

    def ext_datetime(self, name: str) -> datetime | None:
        ext = self.extension(name)
        if ext is None:
            return None
        return self.datetime_of(f"extension {name}", ext_value(ext, "DateTime", "Date"))

    def ext_date(self, name: str) -> date | None:
        ext = self.extension(name)
        if ext is None:
            return None
        raw = text(ext_value(ext, "Date", "DateTime"))
        return self.date_of(f"extension {name}", raw[:10] if raw else None)

    def datetime_of(self, field: str, value: Any) -> datetime | None:
        raw = text(value)
        if raw is None:
            return None
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            self.fail(f"{field} is not a date-time: {raw!r}")
        # Nextech sends offsets everywhere; a bare value is taken as UTC, not local.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def date_of(self, field: str, value: Any) -> date | None:
        raw = text(value)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.fail(f"{field} is not a date: {raw!r}")

    def decimal_of(self, field: str, value: Any) -> Decimal:
        if isinstance(value, bool) or value is None or value == "":
            self.fail(f"{field} is missing")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{field} is not a number: {value!r}")


def text(value: Any) -> str | None:
    """A stripped string, or None for missing and empty values (Nextech pads with "")."""
    if isinstance(value, dict):  # the Practice+ docs wrap primitives: {"value": "Check"}
        value = value.get("value")
    if value is None or isinstance(value, dict | list):
        return None
    stripped = str(value).strip()
    return stripped or None


def ext_value(ext: Json, *kinds: str) -> Any:
    for kind in kinds:
        if f"value{kind}" in ext:
            return ext[f"value{kind}"]
    return None


def ref_parse(value: Any) -> Ref | None:
    """`{"reference": "Patient/abc", "display": ...}` -> Ref; a display-only ref keeps no id."""
    if not isinstance(value, dict):
        return None
    reference = text(value.get("reference")) or ""
    display = text(value.get("display"))
    kind, _, ident = reference.rpartition("/")
    if not reference and not display:
        return None
    return Ref(kind=kind.lower(), id=ident or None, display=display)


def human_name(names: list[Json]) -> tuple[str | None, str | None, str | None]:
    """(given, middle, family) from the official name, else the first one."""
    chosen = next((n for n in names if n.get("use") == "official"), names[0] if names else None)
    if chosen is None:
        return None, None, None
    given = [g for g in (text(x) for x in chosen.get("given") or []) if g]
    return (given[0] if given else None, " ".join(given[1:]) or None, text(chosen.get("family")))
