"""Entry from a webhook task: the practice's own clients, and nothing lost on failure."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from integrations.http import ApiError
from integrations.models import SyncLog
from integrations.nxt_create.service import Clients, nxt_create_process, nxt_create_trigger
from tenants.models import Practice

log = logging.getLogger(__name__)


def nxt_create_from_webhook(*, practice: Practice, contact_id: str, tagged_at: datetime) -> str:
    """Run the request now; if the practice cannot reach Nextech or the CRM, the recorded
    request is finished by the next tick's reconciliation instead."""
    from tenants.ghl.client import ghl_client_for  # public-schema glue, loaded on use
    from tenants.nextech_link import nextech_client_for
    from tenants.poll_budget import nextech_calls_record

    nxt_create_trigger(contact_id=contact_id, tagged_at=tagged_at)
    nextech = None
    try:
        nextech = nextech_client_for(practice=practice)
        clients = Clients(nextech=nextech, ghl=ghl_client_for(practice=practice))
        return nxt_create_process(practice=practice, contact_id=contact_id, clients=clients,
                                  tagged_at=tagged_at).value
    except ApiError as exc:
        log.warning("nxt-create for contact %s deferred: %s", contact_id, exc.kind)
        SyncLog.objects.create(kind="nxt_create", level=SyncLog.Level.WARNING,
                               contact_ref=contact_id,
                               message=f"NXT-Create deferred to the next poll: {exc.kind}")
        return "deferred"
    finally:
        if nextech is not None and nextech.calls:  # the practice's daily Nextech budget
            nextech_calls_record(practice=practice, calls=nextech.calls, polls=0,
                                 at=timezone.now())
