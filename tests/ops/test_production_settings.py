"""Production fails closed: without DEBUG (or AXC_DEVELOPMENT) a process missing any setting
production requires refuses to start, naming every one missing, instead of running on a
generated key, the embedded database, the sandbox app or an open /metrics."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks

from axconnect.env import REQUIRED_IN_PRODUCTION
from tests.support.qcluster import ROOT

PRODUCTION = {
    "SECRET_KEY": "a-production-secret-key-that-is-long-enough-for-django-0123456789",
    "AXC_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    # Never connected to: `check` needs no database.
    "DATABASE_URL": "postgresql://axconnect@db.invalid/axconnect",
    "GHL_CLIENT_ID": "our-marketplace-app",
    "GHL_CLIENT_SECRET": "our-marketplace-secret",
    "METRICS_TOKEN": "a-scrape-token",
}


def _start(command: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    """Run `command` as production would: DEBUG=0, no AXC_DEVELOPMENT, only `settings`."""
    env = {k: v for k, v in os.environ.items()
           if k not in {*REQUIRED_IN_PRODUCTION, "AXC_DEVELOPMENT", "DEBUG"}}
    env.update(DJANGO_SETTINGS_MODULE="axconnect.settings", DEBUG="0", **settings)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=60)


def _manage_check(**settings: str) -> subprocess.CompletedProcess[str]:
    return _start([sys.executable, "manage.py", "check"], **settings)


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_each_missing_setting_stops_the_process_and_is_named(missing):
    done = _manage_check(**{k: v for k, v in PRODUCTION.items() if k != missing})

    assert done.returncode != 0
    message = done.stderr.strip()
    assert "refuses to start in production" in message
    named = message.split("without these settings: ")[1].split(". ")[0]
    assert named == missing
    assert "Traceback" not in message


def test_every_missing_setting_is_named_in_one_message():
    done = _manage_check()

    assert done.returncode != 0
    assert done.stderr.count("refuses to start") == 1
    for name in REQUIRED_IN_PRODUCTION:
        assert name in done.stderr


def test_an_empty_setting_counts_as_missing():
    done = _manage_check(**{**PRODUCTION, "SECRET_KEY": "  "})

    assert done.returncode != 0
    assert "without these settings: SECRET_KEY." in done.stderr


def test_with_every_setting_production_starts():
    done = _manage_check(**PRODUCTION)

    assert done.returncode == 0, done.stderr[-2000:]


def test_gunicorn_refuses_to_boot_without_them():
    done = _start([sys.executable, "-m", "gunicorn", "axconnect.wsgi:application",
                   "--bind", "127.0.0.1:0", "--workers", "1"],
                  **{k: v for k, v in PRODUCTION.items() if k != "METRICS_TOKEN"})

    assert done.returncode != 0
    assert "without these settings: METRICS_TOKEN." in done.stderr


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_check_deploy_names_a_development_default(missing, settings):
    """A deployment rehearsed with AXC_DEVELOPMENT on still fails `check --deploy`."""
    settings.DEVELOPMENT_DEFAULTS = [missing]

    ours = [m for m in run_checks(include_deployment_checks=True)
            if m.id and m.id.startswith("axconnect.E")]

    assert [m.is_serious() for m in ours] == [True]
    assert ours[0].msg.startswith(f"{missing} is not set")


def test_check_deploy_is_quiet_when_everything_is_set(settings):
    settings.DEVELOPMENT_DEFAULTS = []

    ours = [m for m in run_checks(include_deployment_checks=True)
            if m.id and m.id.startswith("axconnect.E")]

    assert ours == []
