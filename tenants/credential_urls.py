"""Where a practice's credentials may be sent: the vendors' own hosts, over HTTPS.

A credential's URLs are editable in the agency admin (to reach the sandbox, say), and
whatever they name receives the practice's Nextech password or partner secret, its tokens
and, at GoHighLevel's token URL, the Marketplace app's client secret. Production accepts
only the hosts below; `AXC_ALLOW_SANDBOX_URLS` (on by default only in development) accepts
any http(s) URL. Changing a URL forgets the stored secrets (`URL_BOUND_SECRETS`), so a
secret entered for one host is never sent to another.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models

from tenants.models import GhlCredential, NextechCredential

# The hosts in Nextech's and HighLevel's documentation (shared/reference): Nextech Cloud
# Select and Practice+ APIs, their Azure AD sign-in, and HighLevel's API and Marketplace
# (including its white-label host).
NEXTECH_API_HOSTS = frozenset({"select.nextech-api.com", "api.pm.nextech.com"})
NEXTECH_LOGIN_HOSTS = frozenset({"login.microsoftonline.com"})
GHL_API_HOSTS = frozenset({"services.leadconnectorhq.com"})
GHL_MARKETPLACE_HOSTS = frozenset({"marketplace.gohighlevel.com",
                                   "marketplace.leadconnectorhq.com"})

# model -> {URL field: the hosts production allows there}
URL_HOSTS: dict[type[models.Model], dict[str, frozenset[str]]] = {
    NextechCredential: {"base_url": NEXTECH_API_HOSTS, "token_url": NEXTECH_LOGIN_HOSTS},
    GhlCredential: {"api_base_url": GHL_API_HOSTS, "authorize_url": GHL_MARKETPLACE_HOSTS,
                    "token_url": GHL_API_HOSTS},
}

# model -> the fields blanked when any of its URLs changes: what was entered or issued
# for the old address.
URL_BOUND_SECRETS: dict[type[models.Model], tuple[str, ...]] = {
    NextechCredential: ("password", "partner_secret", "access_token", "access_expires_at",
                        "refresh_token", "refresh_expires_at", "last_verified_at"),
    GhlCredential: ("private_token", "access_token", "refresh_token", "access_expires_at",
                    "connected_at"),
}


def url_refusal(url: str, *, hosts: frozenset[str], allow_any_host: bool) -> str | None:
    """Why `url` may not receive credentials, or None when it may."""
    parts = urlsplit(url)
    if allow_any_host:
        if parts.scheme in {"http", "https"} and parts.hostname:
            return None
        return "must be an http:// or https:// URL"
    if parts.scheme != "https":
        return "must start with https://"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    try:
        port = parts.port
    except ValueError:
        return "has an invalid port"
    if port not in (None, 443) or (parts.hostname or "").lower() not in hosts:
        return f"must be on {' or '.join(sorted(hosts))}"
    return None


def sandbox_urls_allowed() -> bool:
    return bool(settings.AXC_ALLOW_SANDBOX_URLS)


def credential_url_refusals(credential: models.Model) -> dict[str, str]:
    """{field: why its URL is refused} for a Nextech or GoHighLevel credential."""
    allow_any_host = sandbox_urls_allowed()
    refusals = {}
    for field, hosts in URL_HOSTS[type(credential)].items():
        why = url_refusal(getattr(credential, field), hosts=hosts, allow_any_host=allow_any_host)
        if why:
            refusals[field] = why
    return refusals


def credential_url_refusal(credential: models.Model) -> str | None:
    """One sentence naming each refused URL, for the error that stops a call; or None."""
    refusals = credential_url_refusals(credential)
    if not refusals:
        return None
    named = "; ".join(f"{field.replace('_', ' ')} {why}"
                      for field, why in refusals.items())
    return (f"Credentials not sent: {named} (AXC_ALLOW_SANDBOX_URLS allows other addresses "
            "in development).")
