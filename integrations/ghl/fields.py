"""The contact custom fields the integration writes, and making sure a location has them.

Names and types of the ten NXT fields come from the product spec's table ("All
Nextech-specific fields are organized in a Nextech folder"); the others are the
standard fields the spec says the integration updates. NXT Appointment Time and NXT
Next Visit Time are additions: GoHighLevel's DATE fields hold no time of day, so the
visit's local time goes beside its date as text ("2:30 PM").

Folders: the v2 create-field contract (`POST /locations/{id}/customFields`) declares
no `parentId`, and the folder API (`/custom-fields/folder`) does not cover contact
fields yet, so fields are created at the top level and staff can drag them into
the "Nextech" folder in the CRM. Sending the undeclared `parentId` would risk 422.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from integrations.ghl.models import CustomField

NEXTECH_FOLDER = "Nextech"


@dataclass(frozen=True)
class FieldDefinition:
    key: str  # the engine's stable name for the field, independent of the CRM's id
    name: str  # the name staff see in the CRM, from the spec
    data_type: str  # a v2 dataType (MONETORY is the API's spelling)
    nextech_folder: bool


def _nxt(key: str, name: str, data_type: str = "TEXT") -> FieldDefinition:
    return FieldDefinition(key=key, name=name, data_type=data_type, nextech_folder=True)


def _standard(key: str, name: str, data_type: str = "TEXT") -> FieldDefinition:
    return FieldDefinition(key=key, name=name, data_type=data_type, nextech_folder=False)


NXT_FIELDS: tuple[FieldDefinition, ...] = (
    _nxt("nxt_patient_id", "NXT Patient ID"),
    _nxt("nxt_appointment_type", "NXT Appointment Type"),
    _nxt("nxt_appointment_date", "NXT Appointment Date", "DATE"),
    _nxt("nxt_appointment_time", "NXT Appointment Time"),
    _nxt("nxt_appointment_status", "NXT Appointment Status"),
    _nxt("nxt_appointment_location", "NXT Appointment Location"),
    _nxt("nxt_appointment_practitioner", "NXT Appointment Practitioner"),
    _nxt("nxt_appointment_purpose", "NXT Appointment Purpose"),
    _nxt("nxt_payment_status", "NXT Payment Status"),
    _nxt("nxt_last_payment_date", "NXT Last Payment Date", "DATE"),
    _nxt("nxt_birthday", "NXT Birthday", "DATE"),
    _nxt("nxt_next_visit_time", "NXT Next Visit Time"),
)

STANDARD_FIELDS: tuple[FieldDefinition, ...] = (
    _standard("next_visit_date", "Next Visit Date", "DATE"),
    _standard("next_visit_service", "Next Visit Service"),
    _standard("last_visit_date", "Last Visit Date", "DATE"),
    _standard("last_visit_service", "Last Visit Service"),
    _standard("appointment_category", "Appointment Category"),
    _standard("invoice_paid_amount", "Invoice Paid Amount", "MONETORY"),
    _standard("patient_lifetime_value", "Patient Lifetime Value", "MONETORY"),
)

# The engine's own: workflow enrolments it has made on the contact (integrations.engine.
# enrolment_record). GoHighLevel's API cannot list a contact's workflows, so this is how
# a retry after a crash tells whether an enrolment went out.
ENROLMENTS_FIELD = "ax_connect_enrolments"
ENGINE_FIELDS: tuple[FieldDefinition, ...] = (
    _standard(ENROLMENTS_FIELD, "AX Connect Enrolments"),
)

ALL_FIELDS: tuple[FieldDefinition, ...] = NXT_FIELDS + STANDARD_FIELDS + ENGINE_FIELDS


class CustomFieldApi(Protocol):
    def custom_fields_list(self, *, model: str = "contact") -> tuple[CustomField, ...]: ...

    def custom_field_create(self, *, name: str, data_type: str,
                            model: str = "contact") -> CustomField: ...


def _matches(existing: CustomField, definition: FieldDefinition) -> bool:
    # A practice may already have "Next Visit Date" from the seed product: reuse it by
    # name or by key, never create a twin that automations would not see.
    return (existing.name.casefold() == definition.name.casefold()
            or existing.field_key == f"contact.{definition.key}")


def custom_fields_ensure(*, client: CustomFieldApi,
                         definitions: Sequence[FieldDefinition] = ALL_FIELDS,
                         ) -> Mapping[str, CustomField]:
    """Create the fields the location lacks; return engine key -> field (id and fieldKey).

    Store the result per location: contact reads carry only field ids.
    """
    existing = client.custom_fields_list(model="contact")
    found: dict[str, CustomField] = {}
    for definition in definitions:
        match = next((f for f in existing if _matches(f, definition)), None)
        found[definition.key] = match or client.custom_field_create(
            name=definition.name, data_type=definition.data_type, model="contact")
    return MappingProxyType(found)
