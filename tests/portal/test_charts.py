"""The dashboard's charts: server-drawn SVG of events and failures per day (in the
practice's days) and contacts by stage."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from integrations.categories import Stage
from integrations.models import ContactSnapshot, InboxItem, NxtCreateRequest, SyncLog
from portal.charts import HEIGHT, bar_rows, column_chart
from tests.portal.conftest import in_schema

NEW_YORK = ZoneInfo("America/New_York")


def test_columns_scale_to_the_largest_and_a_zero_draws_nothing():
    chart = column_chart([("a", 2), ("b", 0), ("c", 4)])
    assert [c.height for c in chart.columns] == [HEIGHT / 2, 0.0, HEIGHT]
    assert [c.y + c.height for c in chart.columns] == [HEIGHT] * 3  # all on the baseline
    assert chart.columns[0].x < chart.columns[1].x < chart.columns[2].x
    assert (chart.peak, chart.total) == (4, 6)
    assert [c.height for c in column_chart([("a", 0)]).columns] == [0.0]


def test_bars_are_a_share_of_the_largest():
    assert [b.percent for b in bar_rows([("x", 5), ("y", 10), ("z", 0)])] == [50.0, 100.0, 0.0]
    assert [b.percent for b in bar_rows([("x", 0)])] == [0.0]


def _titles(html: str, chart_id: str) -> list[str]:
    figure = html.split(f'id="{chart_id}"', 1)[1].split("</figure>", 1)[0]
    return re.findall(r"<title>([^<]+)</title>", figure)


def test_the_dashboard_draws_events_and_failures_per_practice_day_and_stages(
        portal_a, practice_a):
    today = timezone.now().astimezone(NEW_YORK).date()
    yesterday = today - timedelta(days=1)
    late_evening = datetime.combine(yesterday, datetime.min.time(), NEW_YORK) + timedelta(
        hours=23, minutes=30)  # already "today" in UTC
    with in_schema(practice_a):
        for _ in range(3):
            SyncLog.objects.create(kind="event", message="e", occurred_at=late_evening)
        SyncLog.objects.create(kind="event", message="processed today, happened long ago",
                               occurred_at=timezone.now() - timedelta(days=90))
        SyncLog.objects.create(kind="dead_letter", level="error", message="note_add failed")
        SyncLog.objects.create(kind="nxt_create", message="NXT-Create: not created",
                               details={"resource": "nxt_create", "status": "failed"})
        InboxItem.objects.create(resource="Appointment", external_id="x", version="1",
                                 payload={}, state=InboxItem.State.DEAD, error="unreadable")
        NxtCreateRequest.objects.create(contact_id="c", state="failed")
        for n, stage in enumerate([Stage.CONSULT_BOOKED, Stage.CONSULT_BOOKED, Stage.BOOKED]):
            pipeline = stage.pipeline.value
            ContactSnapshot.objects.create(patient_id=f"p{n}", state={
                "opportunities": {pipeline: {"stage": stage.value, "status": "open"}}})
    html = portal_a.get("/").content.decode()
    assert _titles(html, "chart-events") == [f"{yesterday:%b} {yesterday.day}: 3"]
    assert _titles(html, "chart-failures") == [f"{today:%b} {today.day}: 3"]
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Events : 3 in 30 days, at most 3 a day" in text
    assert "Surgical pipeline : 2 contacts Consult Booked 2" in text
    assert "Non-Surgical pipeline : 1 contact Booked 1" in text
    assert "<script" not in html  # drawn by the server, no chart library
