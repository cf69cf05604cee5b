"""The practice's choices for new patients, read from its settings and locations."""

from __future__ import annotations

from integrations.ghl.client import GhlClient
from integrations.models import CrmField, EngineSettings, Location, ReferralSourceMapping
from integrations.nextech.resources import Flavor
from integrations.nxt_create.validate import DraftRules
from tenants.models import Practice

LOCATION_FIELD_KEY = "nxt_create_location"  # the CrmField row caching the field's id
SOURCE_FIELD_KEY = "nxt_create_source"


def crm_field_id_resolve(*, ghl: GhlClient, name: str, cache_key: str) -> str | None:
    """The CRM field's id for the name staff configured; asks the CRM once, then remembers.

    Contact reads carry custom fields by id only, so the name must be turned into one.
    """
    cached = CrmField.objects.filter(key=cache_key).first()
    if cached is not None and cached.name.casefold() == name.casefold():
        return cached.ghl_field_id
    wanted = name.casefold()
    for custom_field in ghl.custom_fields_list(model="contact"):
        if wanted in (custom_field.name.casefold(),
                      custom_field.field_key.casefold().removeprefix("contact.")):
            CrmField.objects.update_or_create(key=cache_key, defaults={
                "ghl_field_id": custom_field.id, "ghl_field_key": custom_field.field_key,
                "name": name})
            return custom_field.id
    return None


def draft_rules_load(*, practice: Practice, ghl: GhlClient, flavor: Flavor) -> DraftRules:
    settings = EngineSettings.current()
    active = list(Location.objects.filter(active=True))
    field_name = settings.nxt_create_location_field.strip()
    # A single-location practice creates every patient at its one location.
    required = bool(field_name) and len(active) > 1
    field_id = (crm_field_id_resolve(ghl=ghl, name=field_name, cache_key=LOCATION_FIELD_KEY)
                if required else None)
    source_field = settings.nxt_create_source_field.strip()
    source_field_id = (crm_field_id_resolve(ghl=ghl, name=source_field,
                                            cache_key=SOURCE_FIELD_KEY)
                       if source_field else None)
    return DraftRules(
        flavor=flavor,
        region=practice.country,
        referral_source_id=settings.nxt_create_referral_source_id.strip(),
        general_practitioner_id=settings.nxt_create_general_practitioner_id.strip(),
        patient_status=settings.nxt_create_patient_status.strip(),
        location_field_name=field_name,
        location_field_id=field_id,
        location_required=required,
        locations={loc.crm_location_value.strip().casefold(): loc.nextech_id
                   for loc in active if loc.crm_location_value.strip()},
        source_field_id=source_field_id,
        referral_sources={
            m.crm_source.strip().casefold(): (m.nextech_referral_source_id.strip(),
                                              m.nextech_referral_source_name.strip())
            for m in ReferralSourceMapping.objects.all()},
    )
