"""Sandbox OAuth: the chooselocation page, the token endpoint (expiring access
tokens, rotating refresh tokens) and location tokens minted from agency tokens."""

from __future__ import annotations

import secrets
from html import escape
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from integrations.ghl.sandbox.http import Call, HttpProblem, Route, ok
from integrations.ghl.sandbox.state import SandboxState

TOKEN_FORM = frozenset({"client_id", "client_secret", "grant_type", "code", "refresh_token",
                        "user_type", "redirect_uri"})
LOCATION_TOKEN_FORM = frozenset({"companyId", "locationId"})
CODE_TTL_SECONDS = 600

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Choose a sub-account - Aesthetix CRM sandbox</title>
</head><body>
<h1>Choose a sub-account</h1>
<p>The app <strong>{client_id}</strong> asks for: {scope}</p>
<form method="post" action="">
{hidden}
<label for="location_id">Sub-account</label>
<select id="location_id" name="location_id">{options}</select>
<button type="submit" id="continue">Continue</button>
</form></body></html>
"""


def _form(call: Call, allowed: frozenset[str]) -> dict[str, str]:
    form = call.request.form
    extra = [k for k in form if k not in allowed]
    if extra:
        raise HttpProblem(422, [f"property {k} should not exist" for k in extra])
    return {k: form[k] for k in form}


def choose_location_page(call: Call) -> Response:
    args = call.request.args
    if args.get("client_id") != call.state.oauth_client_id or not args.get("redirect_uri"):
        raise HttpProblem(400, "Unknown client_id or missing redirect_uri")
    hidden = "\n".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                       for k, v in args.items() if k in ("client_id", "redirect_uri", "state"))
    options = "".join(f'<option value="{escape(loc.id)}">{escape(loc.name)}</option>'
                      for loc in call.state.locations.values())
    html = _PAGE.format(client_id=escape(args["client_id"]), scope=escape(args.get("scope", "")),
                        hidden=hidden, options=options)
    return Response(html, mimetype="text/html")


def choose_location_submit(call: Call) -> Response:
    form = call.request.form
    if form.get("client_id") != call.state.oauth_client_id \
            or form.get("location_id") not in call.state.locations:
        raise HttpProblem(400, "Choose one of the listed sub-accounts")
    code = secrets.token_urlsafe(24)
    call.state.codes[code] = {"location_id": form["location_id"],
                              "redirect_uri": form["redirect_uri"],
                              "expires_at": call.state.clock.monotonic() + CODE_TTL_SECONDS}
    query = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
    separator = "&" if "?" in form["redirect_uri"] else "?"
    return Response(status=302, headers={"Location": f"{form['redirect_uri']}{separator}"
                                                     f"{urlencode(query)}"})


def token_response(state: SandboxState, *, user_type: str,
                   location_id: str | None) -> dict[str, Any]:
    access = state.token_issue(kind="access", user_type=user_type, location_id=location_id,
                               ttl_seconds=state.access_token_ttl_seconds)
    refresh = state.token_issue(kind="refresh", user_type=user_type, location_id=location_id,
                                ttl_seconds=365 * 86400)
    body: dict[str, Any] = {
        "access_token": access, "token_type": "Bearer",
        "expires_in": state.access_token_ttl_seconds, "refresh_token": refresh,
        "scope": " ".join(state.oauth_scopes), "userType": user_type,
        "companyId": state.company_id, "userId": "sandboxUser000000001",
    }
    if location_id:
        body["locationId"] = location_id
    else:
        body["approvedLocations"] = list(state.locations)
    return body


def token(call: Call) -> Response:
    form = _form(call, TOKEN_FORM)
    state = call.state
    if form.get("client_id") != state.oauth_client_id \
            or form.get("client_secret") != state.oauth_client_secret:
        raise HttpProblem(401, "Invalid client credentials")
    user_type = form.get("user_type", "Location")
    grant = form.get("grant_type")
    if grant == "authorization_code":
        record = state.codes.pop(form.get("code", ""), None)
        if record is None or record["expires_at"] < state.clock.monotonic() \
                or record["redirect_uri"] != form.get("redirect_uri", record["redirect_uri"]):
            raise HttpProblem(400, "Invalid grant: authorization code is invalid")
        location_id = record["location_id"] if user_type == "Location" else None
        return ok(token_response(state, user_type=user_type, location_id=location_id))
    if grant == "refresh_token":
        old = state.token_valid(form.get("refresh_token", ""), kind="refresh")
        if old is None:
            raise HttpProblem(400, "Invalid grant: refresh token is invalid")
        old.spent = True  # rotation: a refresh token works exactly once
        return ok(token_response(state, user_type=old.user_type, location_id=old.location_id))
    raise HttpProblem(422, ["grant_type must be one of the following values: "
                            "authorization_code, refresh_token, client_credentials"])


def location_token(call: Call) -> Response:
    form = _form(call, LOCATION_TOKEN_FORM)
    if form.get("companyId") != call.state.company_id \
            or form.get("locationId") not in call.state.locations:
        raise HttpProblem(400, "Location not found for this company")
    access = call.state.token_issue(kind="access", user_type="Location",
                                    location_id=form["locationId"],
                                    ttl_seconds=call.state.access_token_ttl_seconds)
    return ok({"access_token": access, "token_type": "Bearer",
               "expires_in": call.state.access_token_ttl_seconds,
               "scope": " ".join(call.state.oauth_scopes), "locationId": form["locationId"],
               "userId": "sandboxUser000000001", "planId": "sandboxPlan",
               "appId": call.state.oauth_client_id.split("-")[0], "versionId": "sandbox"})


ROUTES = [
    Route("/v2/oauth/chooselocation", ("GET",), choose_location_page, "public"),
    Route("/v2/oauth/chooselocation", ("POST",), choose_location_submit, "public"),
    Route("/oauth/chooselocation", ("GET",), choose_location_page, "public"),
    Route("/oauth/chooselocation", ("POST",), choose_location_submit, "public"),
    Route("/oauth/token", ("POST",), token, "public"),
    Route("/oauth/locationToken", ("POST",), location_token, "company"),
]
