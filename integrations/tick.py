"""One poll of one practice. Runs inside the practice's schema, holding its tick lock.

The foundation records that the tick ran; reading Nextech and writing GoHighLevel come
with the sync engine.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.utils import timezone

from integrations.models import SyncLog, SyncState
from tenants.models import Practice


def practice_tick(*, practice: Practice) -> dict[str, Any]:
    tick_id = uuid.uuid4()
    state = SyncState.current()
    state.last_tick_started_at = timezone.now()
    state.save(update_fields=["last_tick_started_at"])
    SyncLog.objects.create(
        tick_id=tick_id,
        kind="tick",
        message="Poll ran.",
        details={"schema": connection.schema_name},  # type: ignore[attr-defined]
    )
    finished = timezone.now()
    state.last_tick_finished_at = finished
    state.last_success_at = finished
    state.last_error = ""
    state.save(update_fields=["last_tick_finished_at", "last_success_at", "last_error"])
    return {"tick_id": str(tick_id), "events_processed": 0}
