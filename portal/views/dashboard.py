"""The dashboard: sync health, what needs review, charts, credential status and locations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from integrations.engine.facts_load import local_date
from integrations.selectors.billing import locations_list
from integrations.selectors.charts import CHART_DAYS, daily_counts_read, pipeline_counts_read
from integrations.selectors.health import credentials_status_read, sync_health_read
from integrations.selectors.review import review_queue_read
from portal.access import membership_required
from portal.charts import bar_rows, column_chart
from tenants.models import Practice
from tenants.poll_budget import budget_line, practice_poll_plan


def _charts(practice: Practice, today: Any) -> dict[str, Any]:
    days = daily_counts_read(time_zone=practice.time_zone, today=today)
    return {
        "days": CHART_DAYS,
        "events": column_chart([(f"{d.day:%b} {d.day.day}", d.events) for d in days]),
        "failures": column_chart([(f"{d.day:%b} {d.day.day}", d.failures) for d in days]),
        "pipelines": [
            {"name": p.pipeline, "contacts": p.contacts,
             "bars": bar_rows([(s.stage, s.contacts) for s in p.stages])}
            for p in pipeline_counts_read()
        ],
    }


@membership_required
def dashboard(request: HttpRequest) -> HttpResponse:
    practice = request.tenant  # type: ignore[attr-defined]
    now = timezone.now()
    plan = practice_poll_plan(practice=practice, now=now)
    context = {
        "practice": practice,
        "plan": plan,
        "budget_line": budget_line(plan),
        "health": sync_health_read(practice=practice, now=now),
        "review": review_queue_read(practice=practice, now=now),
        "charts": _charts(practice, local_date(now, practice.time_zone)),
        "credentials": credentials_status_read(practice=practice),
        "locations": locations_list(),
    }
    return render(request, "portal/dashboard.html", context)
