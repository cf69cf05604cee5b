"""What the webhooks missed: GoHighLevel never re-sends a lost webhook, and a crash or an
outage can leave a request half done. Called by every tick."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection

from integrations.http import ApiError
from integrations.models import EngineSettings, NxtCreateRequest, NxtCreateSweep, SyncLog
from integrations.nxt_create import TAG_CREATE
from integrations.nxt_create.service import Clients, Outcome, nxt_create_process
from tenants.models import Practice

log = logging.getLogger(__name__)


@dataclass
class ReconcileResult:
    searched: bool = False
    outcomes: dict[str, int] = field(default_factory=dict)


def nxt_create_reconcile(*, practice: Practice, clients: Clients, search: bool | None = None,
                         settings: EngineSettings | None = None) -> ReconcileResult:
    """Finish unfinished requests, and search the CRM for the tag when that is due.

    The unfinished ones are found locally, so a tick with none makes no CRM call. The
    search costs one call per 100 tagged contacts and runs at most every
    `nxt_create_reconcile_minutes` (`search` forces it on or off; `settings`: the
    practice's EngineSettings when already read).
    """
    result = ReconcileResult()
    done: set[str] = set()
    unfinished, searched_at = _work_read()
    for contact_id in unfinished:
        _process(practice=practice, contact_id=contact_id, clients=clients, result=result)
        done.add(contact_id)
    now = clients.clock.now()
    settings = settings or EngineSettings.current()
    interval = timedelta(minutes=settings.nxt_create_reconcile_minutes)
    # Ticks start a little early or late; without this slack a tick landing a moment
    # before the mark would push the search a whole poll interval later.
    slack = timedelta(minutes=practice.poll_interval_minutes) / 2
    if search is None:
        search = searched_at is None or now - searched_at >= interval - slack
    if not search:
        return result
    result.searched = True
    for contact in clients.ghl.contacts_with_tag(tag=TAG_CREATE):
        if contact.id not in done:
            _process(practice=practice, contact_id=contact.id, clients=clients, result=result)
            done.add(contact.id)
    NxtCreateSweep.objects.filter(pk=1).update(searched_at=now)
    found = sum(n for k, n in result.outcomes.items() if k != Outcome.STALE)
    if found:
        SyncLog.objects.create(kind="nxt_create",
                               message=f"NXT-Create reconciliation: {found} contact(s) handled")
    return result


# Every tick asks both, and mostly the answers are "none" and "not long ago": one
# statement, not two ORM reads. The requests come newest first, as the admin lists them.
_WORK_READ = """
    SELECT ARRAY(SELECT contact_id FROM integrations_nxtcreaterequest
                 WHERE crm_pending OR retry_requested OR state = %s
                 ORDER BY updated_at DESC, id DESC),
           searched_at
    FROM integrations_nxtcreatesweep WHERE id = 1
"""


def _work_read() -> tuple[list[str], datetime | None]:
    """The contacts of the unfinished requests, and when the tag was last searched for."""
    with connection.cursor() as cursor:
        cursor.execute(_WORK_READ, [NxtCreateRequest.State.PENDING.value])
        row = cursor.fetchone()
    if row is None:  # the practice's first tick: make the sweep row (a search is due)
        NxtCreateSweep.current()
        return _work_read()
    contact_ids, searched_at = row
    return contact_ids, searched_at


def _process(*, practice: Practice, contact_id: str, clients: Clients,
             result: ReconcileResult) -> None:
    try:
        outcome = nxt_create_process(practice=practice, contact_id=contact_id, clients=clients)
    except ApiError as exc:  # one contact's trouble never stops the others
        log.warning("nxt-create for contact %s failed: %s", contact_id, exc.kind)
        outcome = Outcome.DEFERRED
    result.outcomes[outcome.value] = result.outcomes.get(outcome.value, 0) + 1
