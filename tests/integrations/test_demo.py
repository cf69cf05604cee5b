"""`manage.py demo --once` on a fresh practice: the sandbox week ends up in the sandbox CRM."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
