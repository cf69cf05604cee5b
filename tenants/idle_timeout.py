"""Sign out a session left idle: agency staff after a short while, portal users later."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN_KEY = "axc_last_seen"
# The timestamp is rewritten at most this often, so a busy session does not write its
# row on every request; idleness is measured to within this much.
TOUCH_EVERY_SECONDS = 60


def idle_limit_seconds(*, is_staff: bool) -> int:
    minutes = settings.STAFF_IDLE_MINUTES if is_staff else settings.PORTAL_IDLE_MINUTES
    return minutes * 60


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            limit = idle_limit_seconds(is_staff=user.is_staff)
            if last_seen is not None and now - float(last_seen) > limit:
                logout(request)  # the request goes on anonymous: to the login page
                messages.info(request, f"You were signed out after {limit // 60} minutes "
                              "without activity.")
            elif last_seen is None or now - float(last_seen) > TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
