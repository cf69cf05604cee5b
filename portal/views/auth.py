"""Portal sign-in."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from portal.access import PortalLoginForm


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalLoginForm
    redirect_authenticated_user = False
    # Without `?next=`, the dashboard (Django's default is /accounts/profile/, not here).
    next_page = reverse_lazy("portal:dashboard")  # type: ignore[assignment]
