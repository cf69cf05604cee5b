"""The sandbox's own JSON API under /_sandbox/: seed and change a practice, move the clock,
inject faults, and read everything back (state, request counts, peak rates)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.actions import SandboxRuleError
from integrations.nextech.sandbox.seed import seed_demo_week
from integrations.nextech.sandbox.state import PracticeConfig, PracticeState, SandboxState
from integrations.sandbox_kit.faults import Fault
from integrations.sandbox_kit.responses import json_response, read_json

P = "/_sandbox/practices/<practice_id>"
CONTROL_RULES = [
    Rule("/_sandbox/state", methods=["GET"], endpoint="control_state"),
    Rule("/_sandbox/practices", methods=["POST"], endpoint="control_practice_register"),
    Rule(P, methods=["GET"], endpoint="control_practice_state"),
    Rule(f"{P}/settings", methods=["PATCH"], endpoint="control_practice_settings"),
    Rule(f"{P}/seed-demo-week", methods=["POST"], endpoint="control_seed"),
    Rule(f"{P}/<any(locations, practitioners, appointment_types, purposes, statuses):kind>",
         methods=["POST"], endpoint="control_catalog_add"),
    Rule(f"{P}/patients", methods=["POST"], endpoint="control_patient_add"),
    Rule(f"{P}/appointments", methods=["POST"], endpoint="control_appointment_book"),
    Rule(f"{P}/appointments/<appointment_id>", methods=["PATCH"],
         endpoint="control_appointment_change"),
    Rule(f"{P}/payments", methods=["POST"], endpoint="control_payment_add"),
    Rule(f"{P}/payments/<payment_id>/void", methods=["POST"], endpoint="control_payment_void"),
    Rule(f"{P}/<any(patients, appointments, payments):kind>/<row_id>/break", methods=["POST"],
         endpoint="control_row_break"),
    Rule(f"{P}/tokens/revoke", methods=["POST"], endpoint="control_tokens_revoke"),
    Rule("/_sandbox/clock", methods=["POST"], endpoint="control_clock"),
    Rule("/_sandbox/faults", methods=["POST", "DELETE"], endpoint="control_faults"),
    Rule("/_sandbox/stats", methods=["GET", "DELETE"], endpoint="control_stats"),
]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def practice_state_dump(practice: PracticeState) -> dict[str, Any]:
    config = asdict(practice.config)
    config.pop("password")
    config.pop("partner_secret")
    tables = ("patients", "appointments", "payments", "locations", "practitioners",
              "appointment_types", "purposes", "statuses")
    rows = {name: [asdict(row) for row in getattr(practice, name).values()] for name in tables}
    return _plain({"config": config, **rows})


def stats_build(state: SandboxState) -> dict[str, Any]:
    """Per endpoint: requests, statuses, and the most requests seen in any 1 s window."""
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in state.log:
        by_endpoint[entry.endpoint].append(entry.at)
        statuses[entry.endpoint][str(entry.status)] += 1
    result = {}
    for endpoint, times in by_endpoint.items():
        times.sort()
        peak, first = 0, 0
        for last, at in enumerate(times):
            while times[first] <= at - 1.0:
                first += 1
            peak = max(peak, last - first + 1)
        result[endpoint] = {"requests": len(times), "peak_per_second": peak,
                            "statuses": dict(statuses[endpoint])}
    return {"endpoints": result, "requests": len(state.log)}


def _when(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise SandboxRuleError(400, f"{value!r} needs a UTC offset")
    return parsed


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def control_dispatch(state: SandboxState, request: Request, endpoint: str,
                     args: dict[str, str]) -> Response:
    try:
        body = read_json(request) if request.method in ("POST", "PATCH") else {}
        with state.lock:
            practice = state.practice(args["practice_id"]) if "practice_id" in args else None
            found = _handle(state, practice, request, endpoint, args, body or {})
    except SandboxRuleError as exc:
        return json_response({"error": exc.message}, status=exc.status)
    except KeyError as exc:
        return json_response({"error": str(exc).strip('"')}, status=404)
    except (TypeError, ValueError) as exc:
        return json_response({"error": str(exc)}, status=400)
    status = 201 if request.method == "POST" else 200
    return json_response(_plain(found), status=status)


def _handle(state: SandboxState, practice: PracticeState | None, request: Request,
            endpoint: str, args: dict[str, str], body: dict[str, Any]) -> Any:
    if endpoint == "control_state":
        return {"now": state.clock.now(),
                "practices": [practice_state_dump(p) for p in state.practices.values()]}
    if endpoint == "control_practice_register":
        return practice_state_dump(state.practice_register(PracticeConfig(**body)))["config"]
    if endpoint == "control_clock":
        state.clock.advance(float(body.get("advance_seconds", 0)))
        return {"now": state.clock.now()}
    if endpoint == "control_faults":
        if request.method == "DELETE":
            state.faults.clear()
        else:
            state.faults.add(Fault(**body))
        return {"faults": [asdict(f) for f in state.faults.faults]}
    if endpoint == "control_stats":
        if request.method == "DELETE":
            state.log.clear()
        return stats_build(state)
    assert practice is not None
    return _practice_handle(state, practice, endpoint, args, body)


def _practice_handle(state: SandboxState, practice: PracticeState, endpoint: str,
                     args: dict[str, str], body: dict[str, Any]) -> Any:
    if endpoint == "control_practice_state":
        return practice_state_dump(practice)
    if endpoint == "control_practice_settings":
        for key in ("server_version", "reject_tokens", "repeat_next_link", "password"):
            if key in body:
                setattr(practice.config, key, body[key])
        return practice_state_dump(practice)["config"]
    if endpoint == "control_seed":
        return seed_demo_week(practice, week_start=_day(body.get("week_start")),
                              seed=int(body.get("seed", 7)))
    if endpoint == "control_catalog_add":
        return asdict(actions.catalog_add(practice, kind=args["kind"], **body))
    if endpoint == "control_patient_add":
        body["birth_date"] = _day(body.get("birth_date"))
        return asdict(actions.patient_add(practice, **body))
    if endpoint == "control_appointment_book":
        return asdict(actions.appointment_book(practice, **{
            **body, "start": _when(body["start"]),
            **({"end": _when(body["end"])} if body.get("end") else {})}))
    if endpoint == "control_appointment_change":
        when = {k: _when(body[k]) for k in ("start", "end") if body.get(k)}
        return asdict(actions.appointment_change(
            practice, appointment_id=args["appointment_id"], **{**body, **when}))
    if endpoint == "control_payment_add":
        return asdict(actions.payment_add(practice, **{
            **body, "total": Decimal(str(body["total"])),
            "payment_date": _day(body.get("payment_date"))}))
    if endpoint == "control_payment_void":
        corrected = body.get("corrected_total")
        return [asdict(row) for row in actions.payment_void(
            practice, payment_id=args["payment_id"],
            corrected_total=Decimal(str(corrected)) if corrected is not None else None)]
    if endpoint == "control_row_break":
        row = getattr(practice, args["kind"])[args["row_id"]]
        row.broken = tuple(body.get("drop", []))
        practice.touch(row)
        return {"id": row.id, "broken": row.broken}
    if endpoint == "control_tokens_revoke":
        pid = practice.config.practice_id.lower()
        kinds = [state.access_tokens]
        if body.get("refresh", True):
            kinds.append(state.refresh_tokens)
        for grants in kinds:
            for token in [t for t, g in grants.items() if pid in g.practice_ids]:
                del grants[token]
        return {"revoked": True}
    raise SandboxRuleError(404, f"no control endpoint {endpoint}")
