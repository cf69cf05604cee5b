"""The simulated Nextech as a WSGI app: token endpoint, FHIR API per practice, control API.

Every API request passes, in order: faults, bearer token (401), `nx-practice-id` (403), the
20 requests/s per endpoint per user limit (429). The request log (no bodies, no tokens)
lets tests and benchmarks count calls and measure the peak rate.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any

import requests
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.nextech.sandbox import writes
from integrations.nextech.sandbox.actions import SandboxRuleError
from integrations.nextech.sandbox.control import CONTROL_RULES, control_dispatch
from integrations.nextech.sandbox.reads import resource_read, resource_search
from integrations.nextech.sandbox.state import LogEntry, PracticeState, SandboxState
from integrations.nextech.sandbox.tokens import token_endpoint
from integrations.sandbox_kit.faults import fault_response
from integrations.sandbox_kit.responses import json_response, read_json

RATE_LIMIT_PER_SECOND = 20

API_RULES = [
    Rule("/<tenant>/oauth2/token", methods=["POST"], endpoint="token"),
    Rule("/api/Patient", methods=["PUT"], endpoint="patient_update"),
    Rule("/api/Patient/<patient_id>/PaymentReconciliation", methods=["POST"],
         endpoint="payment_create"),
    Rule("/api/<resource>", methods=["GET"], endpoint="search"),
    Rule("/api/<resource>", methods=["POST"], endpoint="create"),
    Rule("/api/<resource>/<rid>", methods=["GET"], endpoint="read"),
    Rule("/api/<resource>/<rid>", methods=["PUT", "PATCH"], endpoint="update"),
]


def outcome(status: int, message: str) -> Response:
    """STU3 errors as an OperationOutcome with the message in diagnostics and details."""
    return json_response({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "processing", "diagnostics": message,
         "details": {"text": message}}]}, status=status)


class NextechSandbox:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.urls = Map([rule.empty() for rule in (*API_RULES, *CONTROL_RULES)])
        self._windows: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, matched = self.urls.bind_to_environ(environ).match()
        except HTTPException as exc:
            return exc(environ, start_response)
        args = {str(k): str(v) for k, v in matched.items()}
        if endpoint.startswith("control_"):
            response = control_dispatch(self.state, request, endpoint, args)
            return response(environ, start_response)
        # The limit counts per endpoint: method plus resource path ("GET /Appointment").
        target = "oauth2/token" if endpoint == "token" else args.get("resource", "Patient")
        key = f"{request.method} /{target}"
        try:
            response = self._respond(request, endpoint, args, key)
        except requests.ReadTimeout:
            self._log(request, key, status=0)  # 0: the caller gave up before an answer
            raise
        self._log(request, key, status=response.status_code)
        return response(environ, start_response)

    def _log(self, request: Request, key: str, *, status: int) -> None:
        with self.state.lock:
            self.state.log.append(LogEntry(
                at=self.state.clock.monotonic(), method=request.method, path=request.path,
                query=request.query_string.decode(), endpoint=key, status=status,
                practice_id=request.headers.get("nx-practice-id")))

    def _respond(self, request: Request, endpoint: str, args: dict[str, str], key: str) -> Response:
        fault = self.state.faults.take(request.path)
        if fault is not None:
            if fault.kind == "timeout" and request.environ.get("sandbox.timeout") is not None:
                # In-process there is no socket to time out on: raise what requests would.
                self.state.clock.sleep(fault.delay_seconds)
                raise requests.ReadTimeout("sandbox: injected timeout")
            injected = fault_response(fault, self.state.clock.sleep)
            if injected is not None:
                return injected
        if endpoint == "token":
            with self.state.lock:
                return token_endpoint(self.state, request)
        with self.state.lock:
            practice, refusal = self._authorize(request, key)
            if refusal is not None:
                return refusal
            assert practice is not None
            try:
                return self._api(practice, request, endpoint, args)
            except SandboxRuleError as exc:
                return outcome(exc.status, exc.message)
            except ValueError:
                return outcome(400, "the request body is not valid JSON")

    def _authorize(self, request: Request,
                   key: str) -> tuple[PracticeState | None, Response | None]:
        header = request.headers.get("Authorization", "")
        grant = self.state.access_tokens.get(header.removeprefix("Bearer ").strip())
        if grant is None or grant.expires_at <= self.state.clock.now():
            return None, outcome(401, "The access token is missing, invalid or expired.")
        practice_id = (request.headers.get("nx-practice-id") or "").lower()
        practice = self.state.practices.get(practice_id)
        if practice is None or practice_id not in grant.practice_ids:
            return None, outcome(403, "nx-practice-id is missing or not granted to this user.")
        if practice.config.reject_tokens:
            return None, outcome(401, "The user no longer has access to the API.")
        window = self._windows[(grant.principal, key)]
        now = self.state.clock.monotonic()
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= RATE_LIMIT_PER_SECOND:
            return None, outcome(429, "Too many requests: 20 per second per endpoint.")
        window.append(now)
        return practice, None

    def _api(self, practice: PracticeState, request: Request, endpoint: str,
             args: dict[str, str]) -> Response:
        resource = args.get("resource", "")
        if endpoint == "search":
            return json_response(resource_search(practice, request, resource))
        if endpoint == "read":
            return json_response(resource_read(practice, resource, args["rid"]))
        body = read_json(request)
        if endpoint == "patient_update":
            return json_response(writes.patient_update(practice, body))
        if endpoint == "payment_create":
            return json_response(writes.payment_create(practice, args["patient_id"], body), 201)
        if endpoint == "create" and resource == "Patient":
            return json_response(writes.patient_create(practice, body), 201)
        if endpoint == "create" and resource == "Appointment":
            return json_response(writes.appointment_create(practice, body), 201)
        if endpoint == "update" and resource == "Appointment":
            select_patch = practice.flavor == "select" and request.method == "PATCH"
            if select_patch:
                return outcome(405, "Select updates appointments with PUT.")
            return json_response(writes.appointment_update(practice, args["rid"], body))
        return outcome(405, f"{request.method} is not supported on {resource}")


def make_app(*, clock: Clock = SYSTEM_CLOCK, state: SandboxState | None = None) -> NextechSandbox:
    """A fresh sandbox (or one over `state`); mount in-process or serve over HTTP."""
    return NextechSandbox(state or SandboxState(clock))
