"""No patient data in a logged URL: gunicorn (a real process, with the deployment's
config) serves the portal, a member searches for a patient the way the page's form does,
and the access log holds the request but not the name."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client

from tenants.models import Membership
from tests.support.db import database_url
from tests.support.qcluster import ROOT
from tests.tenants.ghl_fixtures import committed_practice

SEARCHED = "Dana Reyes"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answering(url: str, host: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/healthz", headers={"Host": host}, timeout=15)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer")


def _search(url: str, host: str, session_id: str) -> requests.Response:
    """Open the search page and submit its form as a browser would (its method, its fields)."""
    cookies = f"sessionid={session_id}"
    page = requests.get(f"{url}/activity/", headers={"Host": host, "Cookie": cookies},
                        timeout=10)
    assert page.status_code == 200, page.text[:500]
    form = re.search(r'<form method="(\w+)" role="search"[^>]*>(.*?)</form>', page.text, re.S)
    assert form is not None
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(2)))
    fields["patient"] = SEARCHED
    csrf = page.cookies.get("csrftoken", "")
    headers = {"Host": host, "Cookie": f"{cookies}; csrftoken={csrf}"}
    if form.group(1).lower() == "post":
        return requests.post(f"{url}/activity/", data=fields, headers=headers, timeout=10)
    return requests.get(f"{url}/activity/", params=fields, headers=headers, timeout=10)


def test_a_portal_search_leaves_no_name_in_the_access_log(django_db_setup, django_db_blocker):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(suffix=".access.log")[1])
    with django_db_blocker.unblock(), committed_practice("Access Log Clinic") as practice:
        user = User.objects.create_user(f"log-{practice.slug}", password="a long password 42")
        Membership.objects.create(user=user, practice=practice, role=Membership.Role.STAFF)
        host = practice.get_primary_domain().domain
        signed_in = Client(HTTP_HOST=host)
        signed_in.force_login(user)
        env = {**os.environ, "DATABASE_URL": database_url(), "SECURE_SSL_REDIRECT": "0"}
        with log.open("w") as out:
            gunicorn = subprocess.Popen(  # noqa: S603 - our own interpreter
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                 "axconnect.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", "1"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _answering(url, host)
            found = _search(url, host, signed_in.cookies["sessionid"].value)
            assert found.status_code == 200, found.text[:500]
            assert f"Patients matching “{SEARCHED}”" in found.text  # the search ran
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
            user.delete()
    written = log.read_text()
    log.unlink()
    requests_logged = [line for line in written.splitlines() if "/activity/" in line]
    assert len(requests_logged) == 2, written  # the page and the search
    for spelled in (SEARCHED, "Dana", "Reyes", "Dana+Reyes", "Dana%20Reyes"):
        assert spelled not in written


@pytest.mark.parametrize("config", ["deploy/gunicorn.conf.py"])
def test_the_deployments_use_that_config(config):
    for launcher in ("Procfile", "deploy/systemd/axconnect-web.service"):
        assert f"gunicorn -c {config} " in (ROOT / launcher).read_text()
