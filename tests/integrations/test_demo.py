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
    # One note per event, but for the demo week's two payments voided before the first
    # sync: neither they nor the rows voiding them were ever a payment the CRM was told of.
    assert summary["notes_in_crm"] == summary["events_processed"] - 2 * 2
    assert summary["opportunities_in_crm"] > 0


def test_add_practice_puts_a_second_practice_and_sub_account_in_the_sandboxes():
    """What `demo --add-practice` does to the running demo's sandboxes, over HTTP."""
    from integrations.demo import demo_practice_add, demo_sandboxes_start, demo_urls_env

    sandboxes = demo_sandboxes_start()
    try:
        nextech, ghl = sandboxes.nextech_server.url, sandboxes.ghl_server.url
        added = demo_practice_add(name="Birch Aesthetics", nextech_url=nextech, ghl_url=ghl)
        again = demo_practice_add(name="Birch Aesthetics", nextech_url=nextech, ghl_url=ghl)
        practice = sandboxes.nextech.state.practice(added.practice_guid)
        location = sandboxes.ghl.state.locations[added.ghl_location_id]
    finally:
        sandboxes.stop()
    assert again == added  # the same name finds the same practice, not a reset one
    assert len(practice.appointments) > 20 and practice.config.username == added.username
    assert location.name == "Birch Aesthetics"
    assert [loc.name for loc in sandboxes.ghl.state.locations.values()].count(
        "Birch Aesthetics") == 1
    text = "\n".join(added.lines())
    assert added.practice_guid in text and added.password in text
    assert demo_urls_env(nextech_url=nextech, ghl_url=ghl)["GHL_AUTHORIZE_URL"] == (
        f"{ghl}/v2/oauth/chooselocation")


def test_connect_gohighlevel_goes_to_the_sandbox_for_a_new_practice(practice_b, settings,
                                                                    admin_client):
    """With the demo's settings a practice that has no GoHighLevel credential yet is sent
    to the sandbox's chooser, not the real marketplace; new credential rows start there."""
    from integrations.demo import demo_urls_env

    urls = demo_urls_env(nextech_url="http://127.0.0.1:8101", ghl_url="http://127.0.0.1:8102")
    for name, value in urls.items():
        setattr(settings, name, value)
    start = admin_client.get(f"/ghl/connect/{practice_b.pk}/", HTTP_HOST="localhost")
    assert start.status_code == 302
    assert start["Location"].startswith("http://127.0.0.1:8102/v2/oauth/chooselocation?")
    page = admin_client.get(f"/admin/tenants/practice/{practice_b.pk}/change/",
                            HTTP_HOST="localhost").content.decode()
    assert 'value="http://127.0.0.1:8101/api"' in page
    assert 'value="http://127.0.0.1:8102/oauth/token"' in page


def test_add_practice_command_prints_what_to_type_or_says_the_demo_is_not_running():
    from io import StringIO

    from django.core.management import CommandError, call_command

    from integrations.demo import demo_sandboxes_start

    sandboxes = demo_sandboxes_start()
    out = StringIO()
    try:
        call_command("demo", add_practice="Cedar Grove Spa", stdout=out,
                     nextech_port=int(sandboxes.nextech_server.url.rsplit(":", 1)[1]),
                     ghl_port=int(sandboxes.ghl_server.url.rsplit(":", 1)[1]))
    finally:
        sandboxes.stop()
    printed = out.getvalue()
    assert "Sandbox practice 'Cedar Grove Spa' added." in printed
    assert "Username: cedar-grove-spa.integration@nextech-api.com" in printed
    assert "choose the sub-account 'Cedar Grove Spa'" in printed
    with pytest.raises(CommandError, match="start `make demo` first"):
        call_command("demo", add_practice="Nobody", nextech_port=1, ghl_port=1)


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
        [sys.executable, "manage.py", "demo", "--port", str(web),
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
