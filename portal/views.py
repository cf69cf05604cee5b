"""The practice's portal (on its own host). Views parse input, call a selector, render."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from integrations.models import Location, SyncState
from portal.access import PortalLoginForm, membership_required


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalLoginForm
    redirect_authenticated_user = False


@membership_required
def dashboard(request: HttpRequest) -> HttpResponse:
    state = SyncState.objects.filter(pk=1).first()
    context = {
        "practice": request.tenant,  # type: ignore[attr-defined]
        "state": state,
        "locations": Location.objects.filter(active=True),
    }
    return render(request, "portal/dashboard.html", context)
