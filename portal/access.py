"""Who may see a practice's portal pages: a grant on the practice (`tenants.access`), and
for members and the bill the owner role. Both roles review categories, follow patients
and retry failures.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tenants.access import OWNER, STAFF, practice_role
from tenants.models import Practice
from tenants.two_factor import second_factor_pending, signin_step_url

View = Callable[..., HttpResponse]


def user_can_open(*, user: Any, practice: Practice) -> bool:
    return practice_role(user=user, practice=practice) is not None


def _role_required(roles: frozenset[str]) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(
                    request.get_full_path(), redirect_field_name=REDIRECT_FIELD_NAME
                )
            if second_factor_pending(user=request.user):
                return redirect(signin_step_url(user=request.user,
                                                next_url=request.get_full_path()))
            role = practice_role(user=request.user, practice=request.tenant)  # type: ignore[attr-defined]
            if role is None:
                raise PermissionDenied("This account has no access to this practice.")
            if role not in roles:
                raise PermissionDenied("Only the practice's owners can open this page.")
            request.portal_role = role  # type: ignore[attr-defined]  # the nav shows what it may use
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


# Anyone with a grant on this practice: category review, failures, patient activity.
membership_required = _role_required(frozenset({OWNER, STAFF}))
# Owners only: members and the bill.
owner_required = _role_required(frozenset({OWNER}))


class PortalLoginForm(AuthenticationForm):
    """Refuse, at login, an account that has no grant on this practice, exactly as a wrong
    password is refused: the same message, and it counts towards the lockout, so nobody
    learns here whether a password is right for another practice's account."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        practice = getattr(self.request, "tenant", None)
        if practice is None or not user_can_open(user=user, practice=practice):
            user_login_failed.send(
                sender=__name__, request=self.request,
                credentials={"username": self.cleaned_data.get("username")})
            raise self.get_invalid_login_error()
