"""What every sandbox handler shares: the call context, routes and error bodies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from werkzeug.wrappers import Request, Response

from integrations.ghl.sandbox.schema import BODY_RULES, body_problems, unprocessable
from integrations.ghl.sandbox.state import SandboxState, SbLocation, SbToken
from integrations.sandbox_kit.responses import json_response, read_json

Access = Literal["location", "company", "public", "control"]

_ERRORS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           422: "Unprocessable Entity", 429: "Too Many Requests"}


class HttpProblem(Exception):
    """Raised by handlers to answer with a GoHighLevel-shaped error."""

    def __init__(self, status: int, message: Any) -> None:
        super().__init__(str(message))
        self.status = status
        self.message = message

    def response(self, headers: dict[str, str] | None = None) -> Response:
        body = {"statusCode": self.status, "message": self.message}
        if self.status in _ERRORS and self.status != 400:
            body["error"] = _ERRORS[self.status]
        return json_response(body, self.status, headers)


@dataclass
class Call:
    state: SandboxState
    request: Request
    args: dict[str, str]
    token: SbToken | None = None
    location: SbLocation | None = None

    def json(self) -> Any:
        try:
            return read_json(self.request)
        except ValueError:
            raise HttpProblem(400, "Unexpected token in JSON") from None

    def body(self, dto: str) -> dict[str, Any]:
        """The JSON body, 422 if it carries an undeclared property or misses a required one."""
        body = self.json()
        problems = body_problems(body, BODY_RULES[dto])
        if problems:
            raise HttpProblem(422, unprocessable(problems)["message"])
        return dict(body)

    def loc(self) -> SbLocation:
        if self.location is None:
            raise HttpProblem(403, "This route needs a location token")
        return self.location

    def contact(self) -> Any:
        contact = self.loc().contacts.get(self.args.get("contact_id", ""))
        if contact is None:
            raise HttpProblem(400, "Contact not found")
        return contact


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class Route:
    rule: str
    methods: tuple[str, ...]
    handler: Handler
    access: Access = "location"


def ok(body: Any, status: int = 200) -> Response:
    return json_response(body, status)
