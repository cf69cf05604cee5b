"""The second step of signing in, and setting up the second factor.

Served on every host (namespace `signin`): the portal's login and both admins' logins send
an account that needs a second factor here after its password.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import django_otp
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tenants import two_factor


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return "/admin/" if request.user.is_staff else "/"


SignInView = Callable[[HttpRequest], HttpResponse]


def _signed_in(view: SignInView) -> SignInView:
    """After the password: anyone else goes to this host's login page."""

    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(_login_path(request))
        return view(request)

    return wrapped


def _login_path(request: HttpRequest) -> str:
    return "/admin/login/" if request.tenant.is_public else reverse("portal:login")  # type: ignore[attr-defined]


@_signed_in
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator's code (or a recovery code) after the password."""
    if not two_factor.second_factor_pending(user=request.user):
        return redirect(_next(request))
    if not django_otp.user_has_device(request.user, confirmed=True):
        return redirect(two_factor.signin_step_url(user=request.user, next_url=_next(request)))
    error = ""
    if request.method == "POST":
        device = two_factor.second_factor_verify(user=request.user,
                                                 code=request.POST.get("code", ""))
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next(request))
        error = ("That code is not right, or it was used already. After a wrong code, wait "
                 "a few seconds before the next try.")
    return render(request, "portal/signin_verify.html",
                  {"next": _next(request), "error": error}, status=400 if error else 200)


@_signed_in
def setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app (showing its secret and QR code), or, once verified,
    replace the recovery codes."""
    user: Any = request.user
    enrolled = two_factor.authenticator_enrolled(user=user)
    if enrolled and not user.is_verified():
        # Replacing a second factor takes the current one: a password alone is not enough.
        return redirect(two_factor.signin_step_url(user=user, next_url=request.get_full_path()))
    context: dict[str, Any] = {"next": _next(request), "enrolled": enrolled,
                               "required_by_role": user.is_staff}
    if request.method == "POST" and request.POST.get("action") == "off" and enrolled and (
            not user.is_staff):
        two_factor.second_factor_remove(user=user)
        messages.success(request, "Two-step sign-in is off.")
        return redirect(_next(request))
    if request.method == "POST" and request.POST.get("action") == "recovery" and enrolled:
        context["codes"] = two_factor.recovery_codes_replace(user=user)
        return render(request, "portal/signin_recovery_codes.html", context)
    if request.method == "POST" and not enrolled:
        confirmed = two_factor.authenticator_confirm(user=user, code=request.POST.get("code", ""))
        if confirmed is not None:
            device, context["codes"] = confirmed
            django_otp.login(request, device)
            return render(request, "portal/signin_recovery_codes.html", context)
        context["error"] = "That code is not right. Enter the six digits the app shows now."
    if not enrolled:
        device = two_factor.authenticator_pending(user=user)
        context["secret"] = two_factor.authenticator_secret(device=device)
        context["qr_svg"] = two_factor.authenticator_qr_svg(device=device)
    return render(request, "portal/signin_setup.html", context,
                  status=400 if context.get("error") else 200)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(_login_path(request))
