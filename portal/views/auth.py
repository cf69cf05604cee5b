"""Portal sign-in, and password reset by email for the practice's own members."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse_lazy

from portal.access import PortalLoginForm
from tenants.access import practice_role
from tenants.models import Practice
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


def _same_email(a: str, b: str) -> bool:
    return unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize(
        "NFKC", b).casefold()


class PortalPasswordResetForm(PasswordResetForm):
    """Mail a reset link only to accounts that may open this practice.

    Unlike Django's form, accounts without a password yet are included: a member an owner
    has just added sets their first password this way. Whoever the address belongs to,
    the page says the same thing, so it reveals no account.
    """

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice

    def get_users(self, email: str) -> Iterator[Any]:
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        for user in users:
            if _same_email(email, user.email) and practice_role(
                    user=user, practice=self.practice) is not None:
                yield user


class PortalPasswordResetView(auth_views.PasswordResetView):
    form_class = PortalPasswordResetForm
    template_name = "portal/password_reset.html"
    email_template_name = "portal/password_reset_email.txt"
    subject_template_name = "portal/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_sent")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "practice": self.request.tenant}  # type: ignore[attr-defined]

    def form_valid(self, form: Any) -> Any:
        self.extra_email_context = {"practice_name": self.request.tenant.name}  # type: ignore[attr-defined]
        return super().form_valid(form)


class PortalPasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_sent.html"


class PortalPasswordSetView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")


class PortalPasswordSetDoneView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"
