"""Start a real `manage.py qcluster` process on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.db import database_url

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running_qcluster(**env: str) -> Iterator[Callable[[], str]]:
    """Run a qcluster until the block ends; yields a function returning its output so far."""
    log = tempfile.NamedTemporaryFile("w+", suffix=".qcluster.log", delete=False)  # noqa: SIM115
    process_env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        # The first guard loop then runs the scheduler at once instead of after ~30 s.
        "Q_GUARD_CYCLE": "30",
        "Q_WORKERS": "2",
        "Q_POLL": "0.2",
        **env,
    }
    process = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=process_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def output() -> str:
        return Path(log.name).read_text()

    try:
        yield output
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        os.unlink(log.name)


def wait_until(
    condition: Callable[[], bool], *, seconds: float, describe: Callable[[], str]
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"gave up after {seconds:.0f} s: {describe()}")
