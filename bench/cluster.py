"""A real `manage.py qcluster` for the worker benchmark, on the benchmark's database.

Started with its scheduler off (`Q_SCHEDULER=0`), so it works only the polls the
benchmark queues, never a practice of the local database behind the benchmark's back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from axconnect.env import database_url

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class BenchCluster:
    process: subprocess.Popen[bytes]
    log_path: str

    def cpu_seconds(self) -> float:
        """CPU time of the cluster's processes so far (its own process group), with the
        worker processes it replaced (their time is added to their parent's on exit)."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # The command may hold spaces and parentheses: fields follow the last ')'.
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:  # the process ended while being read
                continue
            if int(fields[2]) == self.process.pid:  # pgrp
                total += sum(int(value) for value in fields[11:15])  # utime, stime, and
                # cutime, cstime: the children that exited and were waited for
        return total / CLOCK_TICKS

    def output(self) -> str:
        return Path(self.log_path).read_text()[-3000:]


@contextmanager
def bench_qcluster(*, workers: int, threads: int) -> Iterator[BenchCluster]:
    """A qcluster of `workers` worker processes with `threads` tick threads each."""
    log = tempfile.NamedTemporaryFile("w+", suffix=".bench-qcluster.log", delete=False)  # noqa: SIM115
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict),
           "Q_WORKERS": str(workers), "AXC_TICK_THREADS": str(threads),
           "Q_SCHEDULER": "0", "Q_POLL": "0.05", "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield BenchCluster(process=process, log_path=log.name)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        os.unlink(log.name)
