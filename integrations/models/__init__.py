from integrations.models.catalog import (
    AppointmentPurpose,
    AppointmentType,
    CategoryMapping,
    Location,
)
from integrations.models.pipelines import StageMapping
from integrations.models.synclog import SyncLog, SyncState

__all__ = [
    "AppointmentPurpose",
    "AppointmentType",
    "CategoryMapping",
    "Location",
    "StageMapping",
    "SyncLog",
    "SyncState",
]
