"""This practice's bill for the current month (owners only)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.access import owner_required
from tenants.billing import BILLING_RULE, practice_statement_read


@owner_required
@require_GET
def bill(request: HttpRequest) -> HttpResponse:
    practice = request.tenant  # type: ignore[attr-defined]
    statement = practice_statement_read(practice=practice, month=timezone.localdate())
    return render(request, "portal/bill.html", {"statement": statement, "rule": BILLING_RULE})
