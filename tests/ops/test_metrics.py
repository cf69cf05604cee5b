"""/metrics on the agency host exposes what ticks did, per practice and system."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from integrations.engine.tick import practice_tick


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_expose_the_tick_counters(rig, in_practice, client, settings):
    for given in ("Ana", "Bea"):
        rig.book(rig.patient_add(given, "Metric"), type_id="5")
    rig.later()
    summary = practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl,
                            clock=rig.clock)
    assert summary["errors"] == 0 and summary["events_processed"] >= 2, summary

    response = client.get("/metrics", HTTP_HOST=settings.BASE_DOMAIN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = _samples(response.content.decode())
    schema = in_practice.schema_name

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted({"practice": schema, **labels}.items())))]

    assert value("axc_ticks_total", outcome="ok") == 1
    assert value("axc_events_total") == summary["events_processed"]
    assert value("axc_api_calls_total", system="nextech") == summary["nextech_calls"] > 0
    assert value("axc_api_calls_total", system="ghl") == summary["ghl_calls"] > 0
    assert value("axc_outbox_pending") == 0
    assert ("axc_queue_depth", ()) in samples
    assert samples[("axc_practices", (("status", "active"),))] >= 1


def test_metrics_want_the_bearer_token_when_one_is_set(client, settings, db):
    settings.METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics", HTTP_HOST=settings.BASE_DOMAIN).status_code == 401
    response = client.get("/metrics", HTTP_HOST=settings.BASE_DOMAIN,
                          HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert response.status_code == 200


def test_one_write_adds_counters_and_sets_gauges(db):
    """A tick's samples go out in one statement: counters add up (twice the same one
    included), gauges keep the latest value, and a zero counter stores nothing."""
    from axconnect.metrics import Sample, counters_snapshot, samples_write

    samples_write([Sample("axc_events", "p_metrics", 2),
                   Sample("axc_outbox_pending", "p_metrics", 7)])
    samples_write([Sample("axc_events", "p_metrics", 3), Sample("axc_events", "p_metrics", 1),
                   Sample("axc_outbox_pending", "p_metrics", 4),
                   Sample("axc_dead_letters", "p_metrics", 0)])
    assert counters_snapshot(practice="p_metrics") == {
        ("axc_events", ""): 6, ("axc_outbox_pending", ""): 4}
