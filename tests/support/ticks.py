"""Tick bodies for the scheduling tests, loaded by a real qcluster via AXC_TICK_FUNCTION."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from django.db import connection
from django.utils import timezone

from integrations.models import SyncLog
from tenants.models import Practice


def slow_tick(*, practice: Practice) -> dict[str, Any]:
    """Record which schema the tick ran in and when, holding the lock for a while."""
    started = timezone.now()
    time.sleep(float(os.environ.get("AXC_TEST_TICK_SECONDS", "4")))
    SyncLog.objects.create(
        kind="tick",
        message="test tick",
        details={
            "schema": connection.schema_name,
            # Which of several test qcluster processes ran it (scale-out tests).
            "cluster": os.environ.get("AXC_TEST_CLUSTER", ""),
            "pid": os.getpid(),
            "started": started.isoformat(),
            "finished": timezone.now().isoformat(),
        },
    )
    return {"events_processed": 0}


def recording_tick(*, practice: Practice) -> dict[str, Any]:
    """Record which schema the tick ran in, and on which server connection, at once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_schema()")
        backend_pid, current_schema = cursor.fetchone()
    SyncLog.objects.create(kind="tick", message="test tick",
                           details={"schema": connection.schema_name,
                                    "current_schema": current_schema,
                                    "backend_pid": backend_pid})
    return {"events_processed": 0}


# Ticks that run `rendezvous_tick` wait for each other: two that reach it at the same time
# both pass; one that runs alone fails after the timeout.
RENDEZVOUS = threading.Barrier(2, timeout=10)


def rendezvous_tick(*, practice: Practice) -> dict[str, Any]:
    """Return only once another practice's tick is running at the same moment."""
    RENDEZVOUS.wait()
    return {"events_processed": 0, "met": True}
