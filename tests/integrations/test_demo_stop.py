"""Stopping `make demo` stops everything it started, the embedded PostgreSQL included.

The demo runs on an embedded server of its own (`AXC_LOCAL_DIR`), so the test suite's
server is not the one being stopped, and on free ports, so a demo already running on this
machine is left alone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.support.qcluster import ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "pg" / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


def _web_answers(port: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def local_dir() -> Iterator[Path]:
    """Beside the development database: as root the server runs as another user, who can
    reach this directory (not pytest's private temporary one)."""
    (ROOT / ".localdb").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / ".localdb", prefix="demo-stop-") as path:
        Path(path).chmod(0o755)
        yield Path(path)


def test_sigterm_stops_the_demo_and_its_embedded_postgres(local_dir):
    tmp_path = local_dir
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "AXC_TEST_DB_NAME", "REDIS_URL")}
    env["AXC_LOCAL_DIR"] = str(tmp_path)
    ports = [str(_free_port()) for _ in range(3)]
    log = tempfile.NamedTemporaryFile("w+", suffix=".demo.log")  # noqa: SIM115
    demo = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "demo", "--port", ports[0], "--nextech-port", ports[1],
         "--ghl-port", ports[2]], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 400
        while not ("demo is running" in Path(log.name).read_text() and _web_answers(ports[0])):
            assert demo.poll() is None, Path(log.name).read_text()[-3000:]
            assert time.monotonic() < deadline, Path(log.name).read_text()[-3000:]
            time.sleep(1)
        postgres = _postmaster_pid(tmp_path)
        assert postgres is not None and psutil.pid_exists(postgres)
        children = psutil.Process(demo.pid).children()
        assert len(children) == 2  # the web server and the qcluster

        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=90) == 0, Path(log.name).read_text()[-3000:]
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    output = Path(log.name).read_text()
    assert "Demo stopped." in output
    assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE
                   for child in children)
    psutil.wait_procs([psutil.Process(postgres)] if psutil.pid_exists(postgres) else [],
                      timeout=10)
    assert not psutil.pid_exists(postgres), output[-3000:]
    assert _postmaster_pid(tmp_path) is None  # a clean shutdown, not a killed server
