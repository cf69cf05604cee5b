"""Portal sign-in."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from portal.access import PortalLoginForm
from tenants.two_factor import second_factor_pending, signin_step_url


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalLoginForm
    redirect_authenticated_user = False
    # Without `?next=`, the dashboard (Django's default is /accounts/profile/, not here).
    next_page = reverse_lazy("portal:dashboard")  # type: ignore[assignment]

    def get_success_url(self) -> str:
        """Accounts with a second factor (all agency staff) give it before going on."""
        url = super().get_success_url()
        if second_factor_pending(user=self.request.user):
            return signin_step_url(user=self.request.user, next_url=url)
        return url
