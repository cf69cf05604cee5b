"""Helpers for the GoHighLevel tests of the tenants app: a sandbox on the real clock and a
practice connected to it through the real "Connect GoHighLevel" services."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import requests
from django.db import connection, connections
from django_q.models import Schedule

from integrations.ghl.sandbox import GhlSandbox, location_create, make_app
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.sandbox_kit.transport import in_process_session
from tenants.ghl.connect import ghl_connect_begin, ghl_connect_finish
from tenants.models import GhlCredential, Practice
from tenants.schedule import schedule_name
from tenants.services import practice_create

BASE = "http://ghl.sandbox"
REDIRECT_URI = "http://localhost/ghl/connect/callback/"
NONCE = "test-nonce"
T = TypeVar("T")


def sandbox_make(*, keys: SigningKeys, **options: object) -> GhlSandbox:
    """A sandbox on the real clock (webhook timestamps must be fresh for Django)."""
    return make_app(keys=keys, search_delay_seconds=0, **options)  # type: ignore[arg-type]


def sandbox_location(sandbox: GhlSandbox, name: str = "Alpha Plastic Surgery") -> str:
    return location_create(state=sandbox.state, name=name).id


def credential_point(*, practice: Practice, base: str, **fields: object) -> GhlCredential:
    """The practice's GoHighLevel credential, aimed at a sandbox."""
    credential, _ = GhlCredential.objects.update_or_create(practice=practice, defaults={
        "api_base_url": base, "authorize_url": f"{base}/v2/oauth/chooselocation",
        "token_url": f"{base}/oauth/token", **fields})
    return credential


def authorize_follow(*, url: str, session: requests.Session, location_id: str) -> dict[str, str]:
    """What staff do on the chooselocation page; returns the callback's query."""
    page = session.get(url, timeout=5)
    assert page.status_code == 200, page.text
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    chosen = session.post(page.url, data={**form, "location_id": location_id},
                          allow_redirects=False, timeout=5)
    assert chosen.status_code == 302, chosen.text
    query = parse_qs(urlsplit(chosen.headers["Location"]).query)
    return {key: values[0] for key, values in query.items()}


def practice_connect(*, practice: Practice, sandbox: GhlSandbox, location_id: str,
                     **credential_fields: object) -> tuple[GhlCredential, requests.Session]:
    """Run "Connect GoHighLevel" end to end against the in-process sandbox."""
    session = in_process_session(sandbox, BASE)
    credential_point(practice=practice, base=BASE, **credential_fields)
    url = ghl_connect_begin(practice=practice, redirect_uri=REDIRECT_URI, nonce=NONCE)
    callback = authorize_follow(url=url, session=session, location_id=location_id)
    credential = ghl_connect_finish(state=callback["state"], nonce=NONCE, code=callback["code"],
                                    error="", redirect_uri=REDIRECT_URI, session=session)
    return credential, session


def run_at_once(work: Callable[[], T], *, workers: int) -> tuple[list[T], list[Exception]]:
    """Run `work` on `workers` threads released together; each has its own DB connection."""
    barrier = threading.Barrier(workers)
    results: list[T] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - handed to the test to assert on
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@contextmanager
def committed_practice(name: str) -> Iterator[Practice]:
    """A practice of its own, committed, then dropped: concurrent test runs sharing the
    database never touch each other's rows. Call it inside `django_db_blocker.unblock()`
    in a test that requests `django_db_setup`.
    """
    # pytest-django sets up the test database only when some selected test uses `db`;
    # run alone, a committed-data test would otherwise write to the development database.
    database, test_name = connection.settings_dict["NAME"], connection.settings_dict["TEST"]["NAME"]
    if not (database == test_name if test_name else database.startswith("test_")):
        raise RuntimeError("no test database: select a test that uses `db` as well")
    practice = practice_create(practice=Practice(name=name, slug=f"ghl-{uuid.uuid4().hex[:8]}"))
    try:
        yield practice
    finally:
        Schedule.objects.filter(name=schedule_name(practice)).delete()
        practice.delete(force_drop=True)  # its credential and deliveries go with it
