"""The agency's monthly billing report (agency staff, through the admin's login)."""

from __future__ import annotations

import csv
from datetime import date

import tablib
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from axconnect.spreadsheet_cells import rows_safe
from tenants.billing import BILLING_RULE, agency_report_read, report_rows


def _month(value: str) -> date:
    """`2026-03` -> 2026-03-01; this month when missing or unreadable."""
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@require_GET
def agency_billing(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("tenants.view_practice"):
        raise PermissionDenied
    month = _month(request.GET.get("month", ""))
    report = agency_report_read(month=month)
    file_format = request.GET.get("format", "")
    name = f"ax-connect-billing-{month:%Y-%m}"
    # Practice and location names are typed by people: quoted where a spreadsheet would
    # run them as a formula.
    if file_format == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        csv.writer(response).writerows(rows_safe(report_rows(report)))
        return response
    if file_format == "xlsx":
        header, *rows = rows_safe(report_rows(report))
        data = tablib.Dataset(*rows, headers=header, title=f"{month:%B %Y}").export("xlsx")
        response = HttpResponse(data, content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    from tenants.admin import agency_admin_site  # the admin imports the views' URLs

    context = {**agency_admin_site.each_context(request), "title": f"Billing for {month:%B %Y}",
               "report": report, "month": month, "rule": BILLING_RULE}
    return render(request, "admin/tenants/billing.html", context)
