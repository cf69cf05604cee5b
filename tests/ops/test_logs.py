"""A full tick logged at DEBUG, as production logs it (JSON): every line names the practice
and the tick, and no line holds a patient's name, email, phone, birth date, or any token
or password."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings
from django.db import connection

from axconnect.logging import logging_config
from integrations.engine.tick import practice_tick
from integrations.sandbox_kit.faults import Fault

PATIENTS = [
    # given, family, birth date
    ("Marisol", "Quintanilla", "1979-03-08"),
    ("Theodora", "Vanderslice", "1991-11-23"),
]


@pytest.fixture
def json_log_lines():
    """Root logging configured as settings.LOGGING does with LOG_FORMAT=json, at DEBUG."""
    root = logging.getLogger()
    pytest_handlers = list(root.handlers)
    stream = io.StringIO()
    logging.config.dictConfig(logging_config(json_lines=True, level="DEBUG"))
    (console,) = root.handlers
    console.setStream(stream)  # type: ignore[attr-defined]
    # SQL is logged (with its parameters) only through the debug cursor: turn it on, so the
    # test proves the configuration keeps it out rather than relying on DEBUG=False.
    connection.force_debug_cursor = True
    try:
        yield lambda: [line for line in stream.getvalue().splitlines() if line]
    finally:
        connection.force_debug_cursor = False
        logging.config.dictConfig(settings.LOGGING)
        for handler in pytest_handlers:
            root.addHandler(handler)


def _secrets(rig, patients):
    nextech_tokens = rig.nextech.tokens.store.get()
    found = {"rig-password", rig.ghl_token, nextech_tokens.access_token}
    if nextech_tokens.refresh_token:
        found.add(nextech_tokens.refresh_token)
    for given, family, born in patients:
        found |= {given, family, f"{given}.{family}@example.com".lower(), born,
                  born.replace("-", "/"), f"{born[5:7]}/{born[8:10]}/{born[:4]}"}
    return found


def test_a_full_tick_logs_json_lines_with_context_and_no_phi(rig, in_practice, json_log_lines):
    phones = []
    for n, (given, family, born) in enumerate(PATIENTS):
        patient = rig.patient_add(given, family, birth_date=__import__("datetime").date
                                  .fromisoformat(born))
        rig.book(patient, type_id="1", purpose_ids=["11"])
        rig.book(patient, type_id="5", days_ahead=-3, status="fulfilled")
        rig.pay(patient, "250.00")
        phones += [f"(404) 555-{101 + n:04d}", f"+1404555{101 + n:04d}", f"404555{101 + n:04d}"]
    broken = rig.book(rig.patient_add("Ottoline", "Brackenbury"), type_id="5")
    rig.session.post(f"http://nextech.sandbox/_sandbox/practices/{rig.emr.config.practice_id}"
                     f"/appointments/{broken}/break", json={"drop": ["start"]}, timeout=5)
    # Retries and backoff write log lines of their own.
    rig.nextech_app.state.faults.add(Fault(kind="429", remaining=2, path_prefix="/api/Patient"))
    rig.ghl_app.state.faults.add(Fault(kind="503", remaining=1))
    rig.later()
    in_practice.payments_enabled = True

    summary = practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl,
                            clock=rig.clock)

    assert summary["errors"] == 0, summary
    assert summary["events_processed"] > 0 and summary["dead_letters"] >= 1, summary
    lines = json_log_lines()
    assert len(lines) >= 3, lines  # the retries and the dead letter were logged
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert entry["practice"] == in_practice.schema_name, line
        assert entry["tick_id"] == summary["tick_id"], line
    text = "\n".join(lines)
    patients = [*PATIENTS, ("Ottoline", "Brackenbury", "1988-04-12")]
    for secret in sorted(_secrets(rig, patients)) + phones:
        assert secret.lower() not in text.lower(), f"{secret!r} appears in the logs"
