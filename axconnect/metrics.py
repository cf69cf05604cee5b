"""Prometheus metrics: what ticks did, per practice, and how deep the task queue is.

Ticks run in qcluster processes on any number of machines and /metrics is answered by a
web process, so samples are added up in PostgreSQL (`OpsMetric`) rather than in process
memory; a prometheus-client collector reads them back at scrape time.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from tenants.models import OpsMetric, Practice

# name -> (help, the name of the one extra label, or "" for none)
COUNTERS: Mapping[str, tuple[str, str]] = {
    "axc_ticks": ("Poll ticks by outcome (ok, failed, skipped_locked, skipped_busy)", "outcome"),
    "axc_events": ("Nextech events processed into CRM decisions", ""),
    "axc_api_calls": ("Requests sent to an external API, retries and token calls included",
                      "system"),
    "axc_api_errors": ("Ticks stopped by an API error, by the system that failed", "system"),
    "axc_rate_limit_wait_seconds": ("Seconds spent waiting for a client-side rate-limit slot",
                                    "system"),
    "axc_dead_letters": ("Items dead-lettered (kept for staff to fix and retry)", ""),
}
GAUGES: Mapping[str, tuple[str, str]] = {
    "axc_outbox_pending": ("CRM writes queued and not yet sent", ""),
    "axc_dead_letters_open": ("Dead letters waiting for staff", ""),
    "axc_last_success_timestamp_seconds": ("When the practice last polled successfully", ""),
    "axc_writes_paused": ("1 while GoHighLevel's daily request limit holds CRM writes back", ""),
}

@dataclass(frozen=True)
class Sample:
    """One value to store: added to a counter, or set as a gauge's latest value."""

    name: str
    practice: str
    value: float
    label: str = ""

    @property
    def kind(self) -> str:
        if self.name in COUNTERS:
            return OpsMetric.Kind.COUNTER
        if self.name in GAUGES:
            return OpsMetric.Kind.GAUGE
        raise KeyError(f"unknown metric {self.name}")


# Counters add to what is stored, gauges replace it; one statement does both, so a tick's
# every sample costs one round trip, safe from any number of processes at once.
_UPSERT = """
    INSERT INTO public.tenants_opsmetric (name, kind, practice, label, value, updated_at)
    VALUES {rows}
    ON CONFLICT (name, practice, label) DO UPDATE SET
        value = CASE WHEN EXCLUDED.kind = 'counter'
                     THEN public.tenants_opsmetric.value + EXCLUDED.value
                     ELSE EXCLUDED.value END,
        updated_at = now()
"""


def samples_write(samples: Iterable[Sample]) -> None:
    """Store the samples in one statement. A counter's zero adds nothing and is skipped;
    repeats of one metric are added up (counters) or the last kept (gauges) first, since
    one statement may not update a row twice."""
    merged: dict[tuple[str, str, str], Sample] = {}
    for sample in samples:
        key = (sample.name, sample.practice, sample.label)
        if sample.kind == OpsMetric.Kind.COUNTER:
            if sample.value <= 0:
                continue
            if key in merged:
                sample = Sample(*key[:2], merged[key].value + sample.value, key[2])
        merged[key] = sample
    if not merged:
        return
    params: list[Any] = []
    for sample in merged.values():
        params += [sample.name, sample.kind, sample.practice, sample.label, sample.value]
    rows = ", ".join(["(%s, %s, %s, %s, %s, now())"] * len(merged))
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(rows=rows), params)


def counter_add(*, name: str, practice: str, amount: float, label: str = "") -> None:
    """Add to a counter; one statement, safe from any number of processes at once."""
    if name not in COUNTERS:
        raise KeyError(f"unknown counter {name}")
    samples_write([Sample(name, practice, amount, label)])


def gauge_set(*, name: str, practice: str, value: float, label: str = "") -> None:
    if name not in GAUGES:
        raise KeyError(f"unknown gauge {name}")
    samples_write([Sample(name, practice, value, label)])


def tick_counters(*, practice: str, summary: Mapping[str, Any]) -> list[Sample]:
    """One tick's summary (see integrations.engine.tick) as counter samples."""
    error = summary.get("error") or {}
    samples = [
        Sample("axc_ticks", practice, 1, "failed" if summary.get("errors") else "ok"),
        Sample("axc_events", practice, summary.get("events_processed", 0)),
        Sample("axc_dead_letters", practice, summary.get("dead_letters", 0)),
    ]
    for system in ("nextech", "ghl"):
        samples.append(Sample("axc_api_calls", practice, summary.get(f"{system}_calls", 0),
                              system))
        samples.append(Sample("axc_rate_limit_wait_seconds", practice,
                              summary.get("rate_limit_wait_seconds", {}).get(system, 0),
                              system))
    if error:
        samples.append(Sample("axc_api_errors", practice, 1,
                              str(error.get("system", "unknown"))))
    return samples


def tick_observe(*, practice: str, summary: Mapping[str, Any]) -> None:
    """Record one tick's summary as counters."""
    samples_write(tick_counters(practice=practice, summary=summary))


def queue_depth() -> int:
    """Tasks waiting in the django-q2 broker: OrmQ rows, or the Redis list's length."""
    from django_q.brokers import get_broker

    return int(get_broker().queue_size() or 0)


class DatabaseCollector:
    """Reads the stored samples at scrape time (prometheus-client's custom collector API)."""

    def collect(self) -> Iterator[Metric]:
        families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {}
        for name, (doc, label) in COUNTERS.items():
            families[name] = CounterMetricFamily(name, doc, labels=_labels(label))
        for name, (doc, label) in GAUGES.items():
            families[name] = GaugeMetricFamily(name, doc, labels=_labels(label))
        for row in OpsMetric.objects.order_by("name", "practice", "label"):
            family = families.get(row.name)
            if family is not None:
                values = [row.practice, row.label] if row.label else [row.practice]
                family.add_metric(values, row.value)
        yield from families.values()

        statuses = GaugeMetricFamily("axc_practices", "Practices by status", labels=["status"])
        counts = dict(
            Practice.objects.exclude(schema_name="public")
            .values_list("status")
            .annotate(n=Count("id"))
        )
        for status in Practice.Status.values:
            statuses.add_metric([status], counts.get(status, 0))
        yield statuses
        depth = GaugeMetricFamily("axc_queue_depth", "Tasks waiting in the task queue broker")
        depth.add_metric([], queue_depth())
        yield depth


def _labels(extra: str) -> list[str]:
    return ["practice", extra] if extra else ["practice"]


def metrics_text() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())  # type: ignore[arg-type]
    return generate_latest(registry)


def _authorized(request: HttpRequest, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics on the agency host; a bearer token when METRICS_TOKEN is set."""
    token = settings.METRICS_TOKEN
    if token and not _authorized(request, token):
        return HttpResponse("unauthorized\n", status=401, content_type="text/plain")
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)


def counters_snapshot(*, practice: str) -> dict[tuple[str, str], float]:
    """(name, label) -> value for one practice; for tests and the shell."""
    rows: Iterable[OpsMetric] = OpsMetric.objects.filter(practice=practice)
    return {(row.name, row.label): row.value for row in rows}
