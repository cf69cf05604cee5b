from tenants.models.credentials import GhlCredential, NextechCredential
from tenants.models.membership import Membership
from tenants.models.practice import Domain, Practice
from tenants.models.webhooks import WebhookDelivery

__all__ = [
    "Domain",
    "GhlCredential",
    "Membership",
    "NextechCredential",
    "Practice",
    "WebhookDelivery",
]
