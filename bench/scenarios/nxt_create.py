"""NXT-Create latency: staff tag CRM contacts `NXT-Create` at random moments; from each tag
to its patient in Nextech, in simulated time with 100 ms per API call.

Two paths, each in its own practice polled every 60 s:
- webhook: the GoHighLevel sandbox signs a ContactTagUpdate at the moment of the tag; it is
  verified with the sandbox's keys and queued, and the queued task starts after the
  broker's pickup delay, modelled as django-q2's whole `Q_POLL` (1 s by default: the
  empty-queue sleep, taken at its worst). The task runs what `nxt_create_from_webhook`
  runs, with the bench's clients in place of the practice's stored credentials.
- lost webhook: nothing is delivered, so only the tick's search for the tag finds the
  contact (at most every `nxt_create_reconcile_minutes`, 15 by default).

A tag's moment is the sandbox's own stamp on the ContactTagUpdate event (recorded even
when no webhook URL is set); the patient's is the Nextech sandbox's `created` stamp.
Webhook tasks and ticks run one after the other, never overlapping: a task due while a
tick runs starts when the tick ends (idle ticks take about 0.3 s of each minute).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django_tenants.utils import schema_context

from bench.latency import API_CALL_SECONDS
from bench.practices import bench_practices
from bench.scenarios.latency import percentile
from bench.ticks import ticks_until_quiet
from bench.timeline import Timeline
from bench.workload import AREA_CODES
from bench.world import GHL_BASE, World
from integrations.ghl.webhooks import ContactEvent, webhook_verify
from integrations.models import EngineSettings, NxtCreateRequest
from integrations.nxt_create import TAG_CREATE
from integrations.nxt_create.service import Clients, nxt_create_process

INTERVAL = 60.0  # seconds between ticks: the target is stated at a 60 s interval
WEBHOOK_URL = "http://axconnect.bench/webhooks/ghl/"  # never dialled: the sender is in-process


def pickup_seconds() -> float:
    """The broker's pickup delay: django-q2's `poll`, the sleep between empty-queue reads."""
    poll = settings.Q_CLUSTER.get("poll", 1.0)
    if not isinstance(poll, int | float):
        raise TypeError(f"Q_CLUSTER['poll'] is {poll!r}")
    return float(poll)


@dataclass
class WebhookQueue:
    """The receiving end: verifies each signed delivery and queues NXT-Create's task.

    Mirrors `ghl_webhook_receive` and `ghl_webhook_process` for a ContactTagUpdate that
    carries the tag; other events are accepted and dropped, as there.
    """

    world: World
    pickup: float
    due: list[tuple[float, int, str, datetime]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def receive(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        clock = self.world.clock
        event = webhook_verify(body=body, headers=headers, keys=self.world.keys.verifying_keys(),
                               now=clock.now(), seen=self._seen)
        if (isinstance(event, ContactEvent) and event.type == "ContactTagUpdate"
                and TAG_CREATE in event.tags):
            heapq.heappush(self.due, (clock.monotonic() + self.pickup, len(self.seen),
                                      event.contact_id, clock.now()))
        return 200

    def next_due(self) -> float:
        return self.due[0][0] if self.due else float("inf")

    def run_one(self) -> None:
        """The queued task: the contact is read again and its patient created or linked."""
        _, _, contact_id, received_at = heapq.heappop(self.due)
        world = self.world
        with schema_context(world.practice.schema_name):
            nxt_create_process(practice=world.practice, contact_id=contact_id,
                               clients=Clients(nextech=world.nextech, ghl=world.ghl,
                                               clock=world.clock),
                               tagged_at=received_at)

    def _seen(self, webhook_id: str) -> bool:
        if webhook_id in self.seen:
            return True
        self.seen.add(webhook_id)
        return False


def _contacts_add(world: World, count: int) -> list[str]:
    """Contacts the front desk typed in, each a distinct person Nextech does not have yet."""
    ids = []
    for n in range(count):
        area = AREA_CODES[n // 100 % len(AREA_CODES)]
        response = world.session.post(
            f"{GHL_BASE}/_sandbox/locations/{world.location.id}/contacts", timeout=5, json={
                "firstName": "Tagged", "lastName": f"Contact{n}",
                "email": f"tagged.contact{n}@example.com",
                "phone": f"+1 {area} 555 01{n % 100:02d}",
                "dateOfBirth": f"{1960 + n % 40}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "postalCode": "30305"})
        response.raise_for_status()
        ids.append(str(response.json()["contact"]["id"]))
    return ids


def _tag(world: World, contact_id: str) -> None:
    """A CRM user adds the tag; the sandbox then sends (or, with no URL, drops) the webhook."""
    response = world.session.post(
        f"{GHL_BASE}/_sandbox/locations/{world.location.id}/contacts/{contact_id}/tags",
        json={"tags": [TAG_CREATE]}, timeout=5)
    response.raise_for_status()


def _tag_times(world: World) -> dict[str, datetime]:
    """When each contact was tagged, from the sandbox's ContactTagUpdate events."""
    times: dict[str, datetime] = {}
    for delivery in world.ghl_app.state.deliveries:
        body = delivery["body"]
        if delivery["type"] == "ContactTagUpdate" and TAG_CREATE in body.get("tags", []):
            when = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
            times.setdefault(body["id"], when)
    return times


def _created_times(world: World) -> dict[str, datetime]:
    """When each contact's patient appeared in Nextech, by contact id."""
    with schema_context(world.practice.schema_name):
        requests = list(NxtCreateRequest.objects.filter(state=NxtCreateRequest.State.CREATED)
                        .values_list("contact_id", "nextech_id"))
    return {contact: world.emr.patients[patient].created for contact, patient in requests}


def _path_measure(*, webhooks: bool, hours: float, tags: int, seed: int) -> dict[str, Any]:
    with bench_practices(label="nxtcreate" if webhooks else "nxtlost") as (practice,):
        clock = Timeline()
        world = World(practice=practice, clock=clock, latency=API_CALL_SECONDS)
        queue = WebhookQueue(world=world, pickup=pickup_seconds())
        world.crm_setup()
        clock.advance(60)
        ticks_until_quiet(world)  # first activation and the first search, before the clock starts
        with schema_context(practice.schema_name):
            search_minutes = EngineSettings.current().nxt_create_reconcile_minutes
        contacts = _contacts_add(world, tags)
        if webhooks:
            world.ghl_app.webhook_sender = queue.receive
            world.ghl_app.state.webhook_url = WEBHOOK_URL

        rng = random.Random(seed)  # noqa: S311 - benchmark timing, not secrets
        start, horizon = clock.monotonic(), hours * 3600
        for contact_id in contacts:
            clock.at(start + rng.uniform(0, horizon), partial(_tag, world, contact_id))
        # Enough time after the last tag for the slower path to find it.
        end = start + horizon + 2 * INTERVAL + (0 if webhooks else search_minutes * 60)
        # Steps no longer than the pickup delay, so a task queued meanwhile is never late.
        step = max(queue.pickup, 0.1)
        next_tick, ticks = start + rng.uniform(0, INTERVAL), 0
        while next_tick < end or queue.due:
            clock.run_until(min(next_tick, queue.next_due(), clock.monotonic() + step))
            if queue.next_due() <= clock.monotonic():
                queue.run_one()
            elif clock.monotonic() >= next_tick:
                world.tick()
                ticks += 1
                next_tick = max(next_tick + INTERVAL, clock.monotonic())

        tagged, created = _tag_times(world), _created_times(world)
    delays = [(created[c] - at).total_seconds() for c, at in tagged.items() if c in created]
    suffix = "" if webhooks else "_lost_webhook"
    return {
        f"nxt_create_latency_p50_s{suffix}": round(percentile(delays, 50), 1),
        f"nxt_create_latency_p95_s{suffix}": round(percentile(delays, 95), 1),
        f"nxt_create_latency_max_s{suffix}": round(max(delays), 1),
        f"nxt_create_tags{suffix}": len(tagged),
        f"nxt_create_not_created{suffix}": len(tagged) - len(delays),
        f"nxt_create_ticks{suffix}": ticks,
        "nxt_create_search_minutes": search_minutes,
    }


def nxt_create_latency_measure(*, hours: float, tags: int, seed: int = 5) -> dict[str, Any]:
    """Seconds from each `NXT-Create` tag to its patient in Nextech, `tags` contacts tagged
    uniformly over `hours`, ticks every 60 s: with every webhook delivered, then with every
    webhook lost."""
    return {"nxt_create_webhook_pickup_s": pickup_seconds(),
            **_path_measure(webhooks=True, hours=hours, tags=tags, seed=seed),
            **_path_measure(webhooks=False, hours=hours, tags=tags, seed=seed)}
