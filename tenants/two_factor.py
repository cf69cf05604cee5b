"""The second factor: an authenticator app (TOTP) and one-time recovery codes.

Agency staff must have one: no admin page, and no portal, opens to a staff session that has
not passed it. Portal users may turn it on; once they have, their sign-in asks for it too.
"""

from __future__ import annotations

import logging
from base64 import b32encode
from typing import Any

import django_otp
import segno
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

log = logging.getLogger(__name__)


AUTHENTICATOR = "Authenticator app"
RECOVERY = "Recovery codes"
RECOVERY_CODE_COUNT = 10


def second_factor_required(*, user: Any) -> bool:
    """Whether this account signs in with a second factor: all staff, and users who chose it."""
    return bool(user.is_staff) or django_otp.user_has_device(user, confirmed=True)


def second_factor_pending(*, user: Any) -> bool:
    """Signed in with a password, but this session has not passed the second factor yet."""
    # Right after the password step request.user is the bare account, which
    # OTPMiddleware has not wrapped: it has passed no second factor yet.
    verified = getattr(user, "is_verified", lambda: False)()
    return user.is_authenticated and not verified and second_factor_required(user=user)


def signin_step_url(*, user: Any, next_url: str) -> str:
    """Where an account that still owes its second factor goes: its code, or setting one up."""
    name = ("signin:verify" if django_otp.user_has_device(user, confirmed=True)
            else "signin:two_factor")
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def authenticator_enrolled(*, user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def authenticator_pending(*, user: Any) -> TOTPDevice:
    """The authenticator this user is setting up (a new secret until they confirm it)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def authenticator_secret(*, device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def authenticator_qr_svg(*, device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG QR code, drawn here (no third-party service)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=4, title="QR code"))


def authenticator_confirm(*, user: Any, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Turn on the pending authenticator if `code` is its current code.

    Returns the device and a new set of recovery codes (shown once), or None for a wrong code.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(_digits(code)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_replace(user=user)
    log.info("second factor enrolled: user %s", user.pk)
    return device, codes


def second_factor_remove(*, user: Any) -> None:
    """Turn the second factor off (portal users only: staff must keep theirs)."""
    if user.is_staff:
        raise ValueError("agency staff sign in with a second factor")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    log.info("second factor removed: user %s", user.pk)


def recovery_codes_replace(*, user: Any) -> list[str]:
    """A new set of recovery codes; the old ones stop working."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY,
                                                       defaults={"confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_factor_verify(*, user: Any, code: str) -> Device | None:
    """The device that accepts `code`: the authenticator's six digits or a recovery code
    (used up). Each device throttles wrong codes, doubling the wait after each one."""
    code = code.strip().replace(" ", "")
    devices = django_otp.devices_for_user(user, confirmed=True)
    for device in devices:
        if isinstance(device, TOTPDevice) != _looks_like_authenticator_code(code):
            continue
        verified = django_otp.verify_token(user, device.persistent_id, code.lower())
        if verified is not None:
            return verified
    return None


def _looks_like_authenticator_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()  # recovery codes have eight characters


def _digits(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


class SecondFactorAdminMixin:
    """An admin site no page of which opens before the session passed its second factor."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and request.user.is_verified()  # type: ignore[misc,union-attr]

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.user.is_staff and second_factor_pending(user=request.user):  # type: ignore[union-attr]
            next_url = request.GET.get("next") or request.path.rsplit("login/", 1)[0]
            return redirect(signin_step_url(user=request.user, next_url=next_url))
        return super().login(request, extra_context)  # type: ignore[misc]
