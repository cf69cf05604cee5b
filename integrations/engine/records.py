"""Typed Nextech records to JSON and back, for the inbox.

The inbox keeps what the client parsed (the minimum the CRM needs), not raw FHIR: PHI
stays minimal and processing never re-parses vendor JSON.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


_AS_IS = (str, int, float, type(None))  # most values of a record: nothing to convert


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def record_encode(record: Any) -> Any:
    """A frozen dataclass (possibly nested) as JSON-safe values. Every page of every tick
    goes through here, value by value: the common cases are tested first, and each
    class's field names are looked up once."""
    if isinstance(record, _AS_IS):
        return record
    if isinstance(record, datetime | date):
        return record.isoformat()
    if isinstance(record, tuple | list):
        return [record_encode(item) for item in record]
    if isinstance(record, Decimal):
        return str(record)
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {name: record_encode(getattr(record, name))
                for name in _field_names(type(record))}
    return record


Converter = typing.Callable[[Any], Any]
_PARSERS: dict[Any, Converter] = {datetime: datetime.fromisoformat, date: date.fromisoformat,
                                  Decimal: Decimal}


def _as_is(value: Any) -> Any:
    return value


@cache
def _converter(kind: Any) -> Converter:
    """How a JSON value becomes a value of type `kind` (None stays None), worked out once
    per type: every new inbox row is decoded, a backfill's by the thousand."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _converter(options[0])
    if origin is tuple:
        item = _converter(typing.get_args(kind)[0])
        return lambda value: None if value is None else tuple(item(v) for v in value)
    parse = _PARSERS.get(kind)
    if parse is None and isinstance(kind, type) and dataclasses.is_dataclass(kind):
        parse = _decoder(kind)
    if parse is None:
        return _as_is
    convert = parse
    return lambda value: None if value is None else convert(value)


@cache
def _decoder(cls: type) -> Converter:
    hints = typing.get_type_hints(cls)
    fields = tuple((name, _converter(hints[name])) for name in _field_names(cls))

    def decode(data: dict[str, Any]) -> Any:
        return cls(**{name: convert(data[name]) for name, convert in fields if name in data})

    return decode


def record_decode(cls: type[T], data: dict[str, Any]) -> T:
    """The inverse of `record_encode` for dataclass `cls`."""
    decoded: T = _decoder(cls)(data)  # type: ignore[arg-type]  # dataclass types are hashable
    return decoded
