"""GoHighLevel views on the agency host: "Connect GoHighLevel" and its OAuth callback
(agency staff, through the admin's login), and the public webhook endpoint."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from integrations.ghl.webhooks import WebhookRejected
from tenants.ghl.connect import (
    ConnectFailed,
    ghl_connect_begin,
    ghl_connect_finish,
    ghl_location_words,
)
from tenants.ghl.webhooks import UnknownLocation, ghl_webhook_receive, rejection_status
from tenants.models import Practice

NONCE_SESSION_KEY = "ghl_connect_nonce"


def _callback_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("ghl_connect_callback"))


def _practice_page(practice_id: int | None) -> str:
    if practice_id is None:
        return reverse("agency_admin:tenants_practice_changelist")
    return reverse("agency_admin:tenants_practice_change", args=[practice_id])


@require_GET
def ghl_connect_start(request: HttpRequest, practice_id: int) -> HttpResponse:
    if not request.user.has_perm("tenants.change_practice"):
        raise PermissionDenied
    practice = get_object_or_404(Practice.objects.exclude(schema_name="public"), pk=practice_id)
    nonce = secrets.token_urlsafe(16)
    request.session[NONCE_SESSION_KEY] = nonce
    try:
        return redirect(ghl_connect_begin(practice=practice, redirect_uri=_callback_url(request),
                                          nonce=nonce))
    except ConnectFailed as exc:
        messages.error(request, str(exc))
        return redirect(_practice_page(practice.pk))


@require_GET
def ghl_connect_callback(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("tenants.change_practice"):
        raise PermissionDenied
    try:
        credential = ghl_connect_finish(
            state=request.GET.get("state", ""),
            nonce=request.session.pop(NONCE_SESSION_KEY, ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
            redirect_uri=_callback_url(request),
        )
    except ConnectFailed as exc:
        messages.error(request, str(exc))
        return redirect(_practice_page(exc.practice_id))
    messages.success(request, f"GoHighLevel connected: {ghl_location_words(credential)}.")
    return redirect(_practice_page(credential.practice_id))


@csrf_exempt  # GoHighLevel signs the body instead; there is no browser session here
@require_POST
def ghl_webhook(request: HttpRequest) -> HttpResponse:
    try:
        ghl_webhook_receive(body=request.body, headers=request.headers)
    except UnknownLocation:
        return HttpResponse(status=404)
    except WebhookRejected as exc:
        return JsonResponse({"error": exc.reason}, status=rejection_status(exc))
    return JsonResponse({"received": True})
