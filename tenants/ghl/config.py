"""Agency-wide GoHighLevel configuration: the Marketplace app and the webhook keys.

The app's client id and secret come from settings (`GHL_CLIENT_ID`, `GHL_CLIENT_SECRET`);
its URLs come from each practice's credential, so one practice can point at the sandbox
or a recording proxy while the others talk to GoHighLevel.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import reverse

from integrations.ghl.errors import reconnect_error
from integrations.ghl.oauth import OAuthApp
from integrations.ghl.webhooks import (
    GHL_ED25519_PUBLIC_KEY_PEM,
    GHL_RSA_PUBLIC_KEY_PEM,
    WebhookKeys,
)
from tenants.credential_urls import credential_url_refusal
from tenants.models import GhlCredential

_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


def ghl_callback_url() -> str:
    """The OAuth redirect URI on the agency host, for calls made outside a request.

    Views use the URL the browser actually reached; a token refresh has no request.
    """
    scheme = "https" if settings.SECURE_SSL_REDIRECT else "http"
    path = reverse("ghl_connect_callback", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    return f"{scheme}://{settings.BASE_DOMAIN}{settings.PORT_SUFFIX}{path}"


def ghl_oauth_app(*, credential: GhlCredential, redirect_uri: str | None = None) -> OAuthApp:
    """The Marketplace app as this practice reaches it (its own OAuth and API URLs).

    Raises `ApiError` (kind CONFIG) when production does not allow those URLs: the token
    URL receives the app's client secret.
    """
    refused = credential_url_refusal(credential)
    if refused:
        raise reconnect_error(refused)
    return OAuthApp(
        client_id=settings.GHL_CLIENT_ID,
        client_secret=settings.GHL_CLIENT_SECRET,
        redirect_uri=redirect_uri or ghl_callback_url(),
        authorize_url=credential.authorize_url,
        token_url=credential.token_url,
        api_base_url=credential.api_base_url,
    )


def ghl_app_id() -> str:
    """Our Marketplace app's id: a client id is `<appId>-<suffix>`, and HighLevel's app
    events carry the `appId`."""
    return settings.GHL_CLIENT_ID.split("-")[0]


def pems_split(text: str) -> tuple[str, ...]:
    """PEM public keys from one setting; `\\n` escapes allow a one-line environment value."""
    return tuple(f"{block}\n" for block in _PEM.findall(text.replace("\\n", "\n")))


def ghl_webhook_keys() -> WebhookKeys:
    """The public keys webhooks must be signed with; HighLevel's own unless configured."""
    return WebhookKeys(
        ed25519_pems=pems_split(settings.GHL_WEBHOOK_ED25519_KEYS) or (GHL_ED25519_PUBLIC_KEY_PEM,),
        rsa_pems=pems_split(settings.GHL_WEBHOOK_RSA_KEYS) or (GHL_RSA_PUBLIC_KEY_PEM,),
    )
