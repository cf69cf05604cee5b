from integrations.models.access import PatientAccessLog
from integrations.models.catalog import (
    AppointmentPurpose,
    AppointmentType,
    CategoryMapping,
    CategoryUpload,
    Location,
)
from integrations.models.crm import AutomationRule, CrmField, EngineSettings
from integrations.models.engine import (
    ContactSnapshot,
    Cursor,
    InboxItem,
    KnownAppointment,
    KnownPatient,
    KnownPayment,
    OutboxOp,
)
from integrations.models.nxt_create import (
    NxtCreateRequest,
    NxtCreateSweep,
    ReferralSourceMapping,
)
from integrations.models.pipelines import StageMapping
from integrations.models.synclog import SyncLog, SyncState

__all__ = [
    "AppointmentPurpose",
    "AppointmentType",
    "AutomationRule",
    "CategoryMapping",
    "CategoryUpload",
    "ContactSnapshot",
    "CrmField",
    "Cursor",
    "EngineSettings",
    "InboxItem",
    "KnownAppointment",
    "KnownPatient",
    "KnownPayment",
    "Location",
    "NxtCreateRequest",
    "NxtCreateSweep",
    "OutboxOp",
    "PatientAccessLog",
    "ReferralSourceMapping",
    "StageMapping",
    "SyncLog",
    "SyncState",
]
