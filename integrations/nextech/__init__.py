"""Nextech (Select and Practice+): the client, typed resources and the sandbox."""

from integrations.nextech.auth import (
    InMemoryTokenStore,
    PartnerCredentials,
    SelectCredentials,
    TokenSet,
    TokenStore,
)
from integrations.nextech.client import NextechClient, SearchResult
from integrations.nextech.errors import PatientAlreadyExists, RefreshTokenExpired
from integrations.nextech.patient_create import PatientDraft, PatientValidationError
from integrations.nextech.polling import ChangeFeed
from integrations.nextech.resources import (
    Appointment,
    AppointmentPurpose,
    AppointmentStatus,
    AppointmentType,
    Location,
    NextechParseError,
    Patient,
    PaymentReconciliation,
    Practitioner,
)

__all__ = [
    "Appointment", "AppointmentPurpose", "AppointmentStatus", "AppointmentType", "ChangeFeed",
    "InMemoryTokenStore", "Location", "NextechClient", "NextechParseError",
    "PartnerCredentials", "Patient", "PatientAlreadyExists", "PatientDraft",
    "PatientValidationError", "PaymentReconciliation", "Practitioner", "RefreshTokenExpired",
    "SearchResult", "SelectCredentials", "TokenSet", "TokenStore",
]
