"""The Azure AD v1 token endpoint as Nextech uses it: password, refresh_token and
client_credentials grants; access tokens expire, refresh tokens rotate on every use."""

from __future__ import annotations

import secrets
from datetime import timedelta

from werkzeug.wrappers import Request, Response

from integrations.nextech.sandbox.state import Grant, PracticeState, SandboxState
from integrations.sandbox_kit.responses import json_response


def _refusal(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status=status)


def _practices_for(state: SandboxState, form: dict[str, str]) -> list[PracticeState]:
    grant = form.get("grant_type")
    found = []
    for practice in state.practices.values():
        cfg = practice.config
        by_password = grant == "password" and (cfg.client_id, cfg.username, cfg.password) == (
            form.get("client_id"), form.get("username"), form.get("password"))
        by_secret = grant == "client_credentials" and (cfg.partner_id, cfg.partner_secret) == (
            form.get("client_id"), form.get("client_secret"))
        if by_password or by_secret:
            found.append(practice)
    return found


def token_issue(state: SandboxState, *, practice_ids: tuple[str, ...], principal: str,
                with_refresh: bool) -> dict[str, str]:
    now = state.clock.now()
    access = Grant(token=secrets.token_urlsafe(24), practice_ids=practice_ids,
                   principal=principal, expires_at=now + timedelta(seconds=state.access_seconds))
    state.access_tokens[access.token] = access
    body = {"token_type": "Bearer", "scope": "user_impersonation",
            "expires_in": str(state.access_seconds),
            "expires_on": str(int(access.expires_at.timestamp())),
            "not_before": str(int(now.timestamp())), "access_token": access.token}
    if with_refresh:
        refresh = Grant(token=secrets.token_urlsafe(32), practice_ids=practice_ids,
                        principal=principal,
                        expires_at=now + timedelta(days=state.refresh_days))
        state.refresh_tokens[refresh.token] = refresh
        body["refresh_token"] = refresh.token
    return body


def token_endpoint(state: SandboxState, request: Request) -> Response:
    form = {key: request.form[key] for key in request.form}
    grant = form.get("grant_type")
    if grant == "refresh_token":
        old = state.refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotates: one use
        if old is None or old.expires_at <= state.clock.now():
            return _refusal(400, "invalid_grant", "AADSTS70008: The refresh token has expired "
                                                  "or is invalid.")
        return json_response(token_issue(state, practice_ids=old.practice_ids,
                                         principal=old.principal, with_refresh=True))
    if grant not in ("password", "client_credentials"):
        return _refusal(400, "unsupported_grant_type", f"AADSTS70003: {grant!r} is not supported.")
    practices = _practices_for(state, form)
    if not practices:
        status, error = (401, "invalid_client") if grant == "client_credentials" else (
            400, "invalid_grant")
        return _refusal(status, error, "AADSTS50126: Error validating credentials.")
    if any(p.config.resource and p.config.resource != form.get("resource") for p in practices):
        return _refusal(400, "invalid_resource", "AADSTS500011: The resource was not found.")
    principal = form.get("username") or form.get("client_id", "")
    return json_response(token_issue(
        state, practice_ids=tuple(p.config.practice_id.lower() for p in practices),
        principal=principal, with_refresh=grant == "password"))
