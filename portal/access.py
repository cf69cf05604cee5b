"""Who may see a practice's portal: its members, and agency staff."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse

from tenants.models import Membership, Practice


def user_can_open(*, user: Any, practice: Practice) -> bool:
    if not user.is_authenticated or not user.is_active or practice.is_public:
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(user=user, practice=practice).exists()


def membership_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send anonymous users to log in; refuse signed-in users of another practice."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(
                request.get_full_path(), redirect_field_name=REDIRECT_FIELD_NAME
            )
        if not user_can_open(user=request.user, practice=request.tenant):  # type: ignore[attr-defined]
            raise PermissionDenied("This account has no access to this practice.")
        return view(request, *args, **kwargs)

    return wrapped


class PortalLoginForm(AuthenticationForm):
    """Refuse, at login, an account that belongs to another practice."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        practice = getattr(self.request, "tenant", None)
        if practice is None or not user_can_open(user=user, practice=practice):
            raise ValidationError("This account has no access to this practice.", code="no_access")
