"""Clients on one thread share a kept-alive HTTP session; nothing of one practice's
calls (tokens, headers, cookies) reaches the next practice's."""

from __future__ import annotations

import json
import threading
from typing import Any

from integrations.http import ApiClientBase, thread_session
from integrations.sandbox_kit.transport import BackgroundServer


def _echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with the headers it was sent, and sets a cookie every time."""
    seen = {"authorization": environ.get("HTTP_AUTHORIZATION"),
            "cookie": environ.get("HTTP_COOKIE")}
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Set-Cookie", "practice=alpha; Path=/")])
    return [json.dumps(seen).encode()]


class _PracticeClient(ApiClientBase):
    def __init__(self, *, base_url: str, token: str | None) -> None:
        super().__init__(base_url=base_url)
        self.token = token

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def test_clients_on_a_thread_share_one_session_and_other_threads_get_their_own():
    first = _PracticeClient(base_url="http://a.invalid", token=None)
    second = _PracticeClient(base_url="http://b.invalid", token=None)
    elsewhere: list[Any] = []
    thread = threading.Thread(target=lambda: elsewhere.append(thread_session()))
    thread.start()
    thread.join()

    assert first.session is second.session is thread_session()
    assert elsewhere[0] is not first.session


def test_a_practice_sharing_the_session_gets_neither_the_last_token_nor_cookies():
    with BackgroundServer(_echo) as server:
        alpha = _PracticeClient(base_url=server.url, token="alpha-secret")
        bravo = _PracticeClient(base_url=server.url, token=None)
        seen_by_alpha = alpha.send("GET", "/whoami").json()
        seen_by_bravo = bravo.send("GET", "/whoami").json()

    assert seen_by_alpha["authorization"] == "Bearer alpha-secret"
    assert seen_by_bravo == {"authorization": None, "cookie": None}
    assert len(thread_session().cookies) == 0


def _new_thread_session() -> Any:
    made: list[Any] = []
    thread = threading.Thread(target=lambda: made.append(thread_session()))
    thread.start()
    thread.join()
    return made[0]


def _settings_for_a_call(session: Any) -> dict[str, Any]:
    """What requests will use for a call: the session's own, merged with the environment."""
    return session.merge_environment_settings("https://api.example.com/x", {}, None, None, None)


def test_a_ca_bundle_in_the_environment_verifies_calls_without_proxies_read_per_call(
        monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
                 "https_proxy", "all_proxy", "no_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/axc-test/bundle.pem")
    session = _new_thread_session()

    assert _settings_for_a_call(session)["verify"] == "/etc/axc-test/bundle.pem"
    assert session.trust_env is False  # nothing left to look up on each call


def test_a_proxy_in_the_environment_is_followed(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = _new_thread_session()

    assert _settings_for_a_call(session)["proxies"]["https"] == "http://proxy.example.com:3128"
