"""`manage.py check --deploy`: what production must not run on.

A process without DEBUG or AXC_DEVELOPMENT never gets this far without the required
settings (axconnect.env.ProductionSettingsMissing); these checks catch a deployment
rehearsed with AXC_DEVELOPMENT on, one setting at a time.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from axconnect.env import REQUIRED_IN_PRODUCTION

_WHAT_THE_DEFAULT_IS = {
    "SECRET_KEY": "a key generated on this machine, which no other machine shares",
    "AXC_ENCRYPTION_KEYS": "a key generated on this machine: secrets stored here are "
                           "unreadable anywhere else",
    "DATABASE_URL": "the embedded development database",
    "GHL_CLIENT_ID": "the GoHighLevel sandbox's demo app",
    "GHL_CLIENT_SECRET": "the GoHighLevel sandbox's demo app",
    "METRICS_TOKEN": "an open /metrics, readable by anyone",
}


@register(Tags.security, deploy=True)
def required_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = [
        Error(f"{name} is not set; falling back to {_WHAT_THE_DEFAULT_IS[name]}.",
              hint=f"Set {name} in the environment (the README's Settings table).",
              id=f"axconnect.E00{REQUIRED_IN_PRODUCTION.index(name) + 1}")
        for name in settings.DEVELOPMENT_DEFAULTS
    ]
    if settings.AXC_ALLOW_SANDBOX_URLS:
        messages.append(Warning(
            "AXC_ALLOW_SANDBOX_URLS is on: credentials may be sent to any address, over "
            "plain HTTP too.", hint="Unset AXC_ALLOW_SANDBOX_URLS in production.",
            id="axconnect.W002"))
    if settings.DEVELOPMENT and not settings.DEBUG:
        messages.append(Warning(
            "AXC_DEVELOPMENT is on: required settings may fall back to development defaults.",
            hint="Unset AXC_DEVELOPMENT in production.", id="axconnect.W001"))
    return messages
