from tenants.models.calls import NextechCallDay
from tenants.models.credentials import GhlCredential, NextechCredential
from tenants.models.incidents import AlertWatch, Incident
from tenants.models.membership import Membership
from tenants.models.ops import OpsMetric, PracticeHealth
from tenants.models.practice import Domain, Practice
from tenants.models.webhooks import WebhookDelivery

__all__ = [
    "AlertWatch",
    "Domain",
    "GhlCredential",
    "Incident",
    "Membership",
    "NextechCallDay",
    "NextechCredential",
    "OpsMetric",
    "Practice",
    "PracticeHealth",
    "WebhookDelivery",
]
