"""The GoHighLevel sandbox as a werkzeug WSGI app: routing, auth, the Version
header, rate limits with X-RateLimit headers, faults and request counters.

Mount it in-process (`in_process_session`) for tests or serve it over HTTP
(`BackgroundServer`) for the demo; the behaviour is the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.ghl.oauth import API_VERSION, DEFAULT_SCOPES
from integrations.ghl.sandbox import api_contacts, api_crm, control, oauth
from integrations.ghl.sandbox.http import Call, HttpProblem, Route
from integrations.ghl.sandbox.signing import (
    SigningKeys,
    WebhookSender,
    webhook_send_default,
    webhooks_flush,
)
from integrations.ghl.sandbox.state import SandboxState, SbToken
from integrations.sandbox_kit.faults import fault_response

ROUTES: tuple[Route, ...] = (*control.ROUTES, *oauth.ROUTES, *api_contacts.ROUTES,
                             *api_crm.ROUTES)


class GhlSandbox:
    """The WSGI callable; `state` and `keys` are there for in-process inspection."""

    def __init__(self, *, state: SandboxState, keys: SigningKeys,
                 webhook_sender: WebhookSender) -> None:
        self.state = state
        self.keys = keys
        self.webhook_sender = webhook_sender
        self.url_map = Map([Rule(r.rule, methods=list(r.methods), endpoint=i, strict_slashes=False)
                            for i, r in enumerate(ROUTES)])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = self.respond(Request(environ))
        if self.state.outbox:
            webhooks_flush(state=self.state, keys=self.keys, sender=self.webhook_sender)
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return HttpProblem(405, f"Cannot {request.method} {request.path}").response()
        except NotFound:
            return HttpProblem(404, f"Cannot {request.method} {request.path}").response()
        route = ROUTES[endpoint]
        call = Call(state=self.state, request=request, args=dict(args))
        if route.access == "control":
            with self.state.lock:
                return self._handle(route, call)
        with self.state.lock:
            self.state.counters[f"{request.method} {route.rule}"] += 1
        fault = self.state.faults.take(request.path)
        if fault is not None and fault.kind == "timeout" \
                and request.environ.get("sandbox.timeout") is not None:
            # In-process there is no socket to time out on. Over HTTP the late answer still
            # applies the change after the caller stopped waiting: do that, then raise what
            # requests would.
            self.state.clock.sleep(fault.delay_seconds)
            with self.state.lock:
                self._guarded(route, call)
            raise requests.ReadTimeout("sandbox: injected timeout")
        if fault is not None:
            faulted = fault_response(fault, self.state.clock.sleep)
            if faulted is not None:
                return faulted
        with self.state.lock:
            return self._guarded(route, call)

    def _guarded(self, route: Route, call: Call) -> Response:
        if route.access == "public":
            return self._handle(route, call)
        try:
            call.token = self._authenticate(call.request, route)
            if route.access == "location":
                call.location = self.state.locations[str(call.token.location_id)]
                self._location_check(call)
        except HttpProblem as problem:
            return problem.response()
        resource = str(call.token.location_id or call.token.company_id)
        quota = self.state.quota_take(resource)
        if quota is None:
            headers = self.state.quota_headers(resource)
            return HttpProblem(429, "Too Many Requests").response(headers)
        response = self._handle(route, call)
        response.headers.extend(quota)
        return response

    def _handle(self, route: Route, call: Call) -> Response:
        try:
            return route.handler(call)
        except HttpProblem as problem:
            return problem.response()

    def _authenticate(self, request: Request, route: Route) -> SbToken:
        if request.headers.get("Version") != API_VERSION:
            raise HttpProblem(400, f"Version header must be {API_VERSION}")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        record = None
        if scheme == "Bearer":
            record = (self.state.token_valid(token, kind="access")
                      or self.state.token_valid(token, kind="pit"))
        if record is None:
            raise HttpProblem(401, "Invalid token: access token is invalid")
        wanted = "Company" if route.access == "company" else "Location"
        if record.user_type != wanted:
            raise HttpProblem(401, "This authClass type is not allowed to access this scope")
        return record

    def _location_check(self, call: Call) -> None:
        """A location token only reaches its own location, wherever the id is named."""
        request, location = call.request, call.loc()
        named = [request.args.get("locationId"), request.args.get("location_id"),
                 call.args.get("location_id")]
        if request.mimetype == "application/json":
            body = call.json()
            if isinstance(body, dict):
                named.append(body.get("locationId"))
        if any(n is not None and n != location.id for n in named):
            raise HttpProblem(403, "The token does not have access to this location")


def make_app(*, clock: Clock = SYSTEM_CLOCK, client_id: str = "sandbox-app-client",
             client_secret: str = "sandbox-app-secret",  # noqa: S107 - a public demo value
             search_delay_seconds: float = 5.0,
             access_token_ttl_seconds: int = 86399, burst_max: int = 100,
             daily_limit: int = 200_000, webhook_url: str | None = None,
             webhook_sender: WebhookSender = webhook_send_default,
             keys: SigningKeys | None = None) -> GhlSandbox:
    """A fresh sandbox; the OAuth client id/secret are what practices configure to use it."""
    keys = keys or SigningKeys.generate()
    state = SandboxState(clock=clock, oauth_client_id=client_id, oauth_client_secret=client_secret,
                         oauth_scopes=DEFAULT_SCOPES, search_delay_seconds=search_delay_seconds,
                         access_token_ttl_seconds=access_token_ttl_seconds, burst_max=burst_max,
                         daily_limit=daily_limit, webhook_url=webhook_url,
                         webhook_public_pems=keys.public_pems())
    return GhlSandbox(state=state, keys=keys, webhook_sender=webhook_sender)
