"""The client address sign-in lockouts count against (django-axes)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of whoever is signing in.

    Behind `TRUSTED_PROXIES` reverse proxies, each appending the address it saw to
    X-Forwarded-For, the client is that many entries from the right: anything further left
    was written by the client and could be anything. With no proxy it is the peer itself.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXIES
    if hops <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if part.strip()]
    return forwarded[-hops] if len(forwarded) >= hops else peer
