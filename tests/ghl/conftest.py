"""GoHighLevel fixtures: a sandbox on simulated time, mounted in-process, and
clients connected to it through the real OAuth flow. No database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from integrations.clock import Clock, SimulatedClock
from integrations.ghl.auth import OAuthTokenSource
from integrations.ghl.client import GhlClient
from integrations.ghl.oauth import OAuthApp, oauth_authorize_url_build, oauth_code_exchange
from integrations.ghl.sandbox import GhlSandbox, location_create, make_app
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.ghl.tokens import InMemoryTokenStore, TokenPair, UserType
from integrations.sandbox_kit.transport import WSGIAdapter

BASE = "http://ghl.sandbox"
CLIENT_ID = "sandbox-app-client"
CLIENT_SECRET = "sandbox-app-secret"


class RecordingAdapter(WSGIAdapter):
    """The in-process transport, keeping every exchange for the contract tests."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.exchanges: list[tuple[requests.PreparedRequest, requests.Response]] = []

    def send(self, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        response = super().send(request, *args, **kwargs)
        self.exchanges.append((request, response))
        return response


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys.generate()  # RSA generation is slow: once per session


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def sandbox(clock: SimulatedClock, signing_keys: SigningKeys) -> GhlSandbox:
    return make_app(clock=clock, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                    keys=signing_keys)


@pytest.fixture
def adapter(sandbox: GhlSandbox) -> RecordingAdapter:
    return RecordingAdapter(sandbox)


@pytest.fixture
def session(adapter: RecordingAdapter) -> requests.Session:
    http = requests.Session()
    http.mount(BASE, adapter)
    return http


@pytest.fixture
def location_id(sandbox: GhlSandbox) -> str:
    return location_create(state=sandbox.state, name="Alpha Plastic Surgery").id


def oauth_app_for(base: str) -> OAuthApp:
    return OAuthApp(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                    redirect_uri="https://admin.example.test/ghl/callback",
                    authorize_url=f"{base}/v2/oauth/chooselocation",
                    token_url=f"{base}/oauth/token", api_base_url=base)


@pytest.fixture
def oauth_app() -> OAuthApp:
    return oauth_app_for(BASE)


def connect(*, app: OAuthApp, session: requests.Session, location_id: str,
            clock: Clock, user_type: UserType = "Location") -> TokenPair:
    """What a staff member does: open chooselocation, pick the location, come back."""
    page = session.get(oauth_authorize_url_build(app=app, state="practice-1"), timeout=5)
    assert page.status_code == 200 and location_id in page.text
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    chosen = session.post(page.url, data={**form, "location_id": location_id},
                          allow_redirects=False, timeout=5)
    code = re.search(r"[?&]code=([^&]+)", chosen.headers["Location"])
    assert code is not None and "state=practice-1" in chosen.headers["Location"]
    return oauth_code_exchange(app=app, code=code.group(1), user_type=user_type,
                               session=session, clock=clock)


@pytest.fixture
def store(oauth_app: OAuthApp, session: requests.Session, location_id: str,
          clock: SimulatedClock) -> InMemoryTokenStore:
    return InMemoryTokenStore(connect(app=oauth_app, session=session, location_id=location_id,
                                      clock=clock))


ClientFactory = Callable[..., GhlClient]


@pytest.fixture
def make_client(oauth_app: OAuthApp, session: requests.Session, location_id: str,
                clock: SimulatedClock, store: InMemoryTokenStore) -> Iterator[ClientFactory]:
    def build(**overrides: Any) -> GhlClient:
        tokens = overrides.pop("tokens", None) or OAuthTokenSource(
            store=overrides.pop("store", store), app=oauth_app, location_id=location_id,
            session=session, clock=clock)
        return GhlClient(tokens=tokens, base_url=BASE, session=session, clock=clock, **overrides)

    yield build


@pytest.fixture
def client(make_client: ClientFactory) -> GhlClient:
    return make_client()


def control(session: requests.Session, method: str, path: str, **kwargs: Any) -> Any:
    response = session.request(method, f"{BASE}/_sandbox{path}", timeout=5, **kwargs)
    assert response.status_code < 400, response.text
    return response.json()
