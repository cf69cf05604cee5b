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


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode_value(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _decode_value(options[0], value)
    if origin is tuple:
        item_kind = typing.get_args(kind)[0]
        return tuple(_decode_value(item_kind, item) for item in value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return record_decode(kind, value)
    return value


def record_decode(cls: type[T], data: dict[str, Any]) -> T:
    """The inverse of `record_encode` for dataclass `cls`."""
    hints = _hints(cls)  # type: ignore[arg-type]  # dataclass types are hashable
    values = {
        f.name: _decode_value(hints[f.name], data.get(f.name))
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in data
    }
    return cls(**values)
