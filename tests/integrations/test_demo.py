"""`manage.py demo --once` on a fresh practice: the sandbox week ends up in the sandbox CRM."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.db import database_url
from tests.support.qcluster import ROOT


def test_demo_once_syncs_the_demo_week_and_exits_cleanly(practices):
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
