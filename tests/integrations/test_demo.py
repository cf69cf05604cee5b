"""`manage.py demo --once` on a fresh practice: the sandbox week ends up in the sandbox CRM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from integrations.demo import AGENCY_USERNAME, DEMO_SLUG, PORTAL_USERNAME
from tenants.models import Practice
from tests.support.db import database_url
from tests.support.qcluster import ROOT


@pytest.fixture
def demo_cleanup(practices, django_db_blocker):
    """The demo commits its practice and users; remove them for the tests that follow."""
    yield
    with django_db_blocker.unblock():
        for practice in Practice.objects.filter(slug=DEMO_SLUG):
            practice.delete(force_drop=True)
        User.objects.filter(username__in=[AGENCY_USERNAME, PORTAL_USERNAME]).delete()


def test_demo_once_syncs_the_demo_week_and_exits_cleanly(demo_cleanup):
    run = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "demo", "--once"], cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url()},
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["practices"] == 1
    assert summary["errors"] == 0
    assert summary["dead_letters"] == 0
    assert summary["events_processed"] > 50
    assert summary["contacts_in_crm"] >= 25
    assert summary["notes_in_crm"] == summary["events_processed"]
    assert summary["opportunities_in_crm"] > 0


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [int(s.getsockname()[1]) for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _listening_addresses(port: int) -> set[str]:
    """The local addresses a socket LISTENs on at `port` (Linux /proc/net/tcp, tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_make_demo_listens_on_this_machine_only(demo_cleanup):
    """The demo prints its users and password: nothing it serves may face the network."""
    web, nextech, ghl = _free_ports(3)
    demo = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "demo", "--web-port", str(web),
         "--nextech-port", str(nextech), "--ghl-port", str(ghl)], cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url()},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while not _listening_addresses(web) and time.monotonic() < deadline:
            assert demo.poll() is None, demo.stdout.read() if demo.stdout else ""
            time.sleep(0.5)
        loopback = {"0100007F"}  # 127.0.0.1 as /proc/net/tcp writes it
        assert {port: _listening_addresses(port) for port in (web, nextech, ghl)} == {
            web: loopback, nextech: loopback, ghl: loopback}
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
