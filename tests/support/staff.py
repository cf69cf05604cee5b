"""Agency staff signed in as the admin lets them in: password, then second factor."""

from __future__ import annotations

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def authenticator_device(user) -> TOTPDevice:
    """The staff member's enrolled authenticator app (made on first use)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def staff_login(client: Client, user) -> None:
    """`force_login`, and the session marked as having passed this user's second factor,
    as `django_otp.login` marks it after the code page."""
    device = authenticator_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class Authenticator:
    """The phone app: codes from the device's secret, as a person would type them.

    A code is accepted once: a second sign-in within the same 30 s takes the next step's
    code, which the server accepts (one step of clock drift is allowed either way).
    """

    def __init__(self, device: TOTPDevice) -> None:
        self._totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
        self._used = -1

    @classmethod
    def from_secret(cls, secret: str) -> Authenticator:
        """An app set up by typing the secret the enrolment page shows."""
        from base64 import b32decode

        text = secret.replace(" ", "").upper()
        device = TOTPDevice(key=b32decode(text + "=" * (-len(text) % 8)).hex())
        return cls(device)

    def code(self) -> str:
        now = int(time.time() // self._totp.step)
        step = max(now, self._used + 1)
        if step > now + 1:  # a third sign-in within one step: wait for the next
            time.sleep((step - 1) * self._totp.step - time.time() + 0.1)
        self._used = step
        self._totp.time = step * self._totp.step
        return f"{self._totp.token():0{self._totp.digits}d}"
