"""Read a GoHighLevel location's set-up: suggest which of its stages each canonical stage
is, and make sure the custom fields the engine writes exist."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction

from integrations.categories import PIPELINE_LABELS, Pipeline, Stage
from integrations.ghl.fields import ALL_FIELDS, FieldDefinition, custom_fields_ensure
from integrations.ghl.models import CustomField
from integrations.ghl.models import Pipeline as GhlPipeline
from integrations.models import CrmField, StageMapping

log = logging.getLogger(__name__)


class GhlPipelineApi(Protocol):
    def pipelines_list(self) -> tuple[GhlPipeline, ...]: ...


class GhlFieldApi(Protocol):
    def custom_fields_list(self, *, model: str = "contact") -> tuple[CustomField, ...]: ...

    def custom_field_create(self, *, name: str, data_type: str,
                            model: str = "contact") -> CustomField: ...


@dataclass(frozen=True)
class StageSuggestion:
    """What was decided for one canonical stage; `ghl_stage_id` is None when nothing matched."""

    stage: Stage
    ghl_pipeline_id: str | None
    ghl_pipeline_name: str | None
    ghl_stage_id: str | None
    ghl_stage_name: str | None
    kept_confirmed: bool = False  # staff confirmed a mapping earlier; left as it was

    @property
    def matched(self) -> bool:
        return self.ghl_stage_id is not None


def _name_key(name: str) -> str:
    """"Cancelled / No-Show", "canceled-no show" and "CANCELLED/NOSHOW" compare equal."""
    text = re.sub(r"[^a-z0-9]+", "", name.casefold())
    text = text.replace("canceled", "cancelled")
    return text.removesuffix("pipeline")


def _pipeline_find(pipelines: Sequence[GhlPipeline], pipeline: Pipeline) -> GhlPipeline | None:
    wanted = _name_key(PIPELINE_LABELS[pipeline])
    return next((p for p in pipelines if _name_key(p.name) == wanted), None)


def _suggestion(stage: Stage, pipelines: Sequence[GhlPipeline]) -> StageSuggestion:
    found = _pipeline_find(pipelines, stage.pipeline)
    match = None
    if found is not None:
        match = next((s for s in found.stages if _name_key(s.name) == _name_key(stage.label)),
                     None)
    return StageSuggestion(
        stage=stage, ghl_pipeline_id=found.id if found else None,
        ghl_pipeline_name=found.name if found else None,
        ghl_stage_id=match.id if match else None, ghl_stage_name=match.name if match else None)


def stage_mapping_suggest(*, client: GhlPipelineApi) -> list[StageSuggestion]:
    """Match the spec's pipelines and stages by name and save them, unconfirmed.

    A mapping staff confirmed is kept as it is. An unconfirmed mapping whose stage is no
    longer found is removed, so the engine never moves an opportunity to a stale stage.
    """
    pipelines = client.pipelines_list()
    suggestions: list[StageSuggestion] = []
    with transaction.atomic():
        confirmed = {m.canonical_stage: m for m in
                     StageMapping.objects.filter(confirmed_at__isnull=False)}
        for stage in Stage:
            kept = confirmed.get(stage.value)
            if kept is not None:
                suggestions.append(StageSuggestion(
                    stage=stage, ghl_pipeline_id=kept.ghl_pipeline_id,
                    ghl_pipeline_name=kept.ghl_pipeline_name, ghl_stage_id=kept.ghl_stage_id,
                    ghl_stage_name=kept.ghl_stage_name, kept_confirmed=True))
                continue
            suggestion = _suggestion(stage, pipelines)
            suggestions.append(suggestion)
            if not suggestion.matched:
                StageMapping.objects.filter(canonical_stage=stage.value).delete()
                continue
            StageMapping.objects.update_or_create(canonical_stage=stage.value, defaults={
                "ghl_pipeline_id": suggestion.ghl_pipeline_id,
                "ghl_pipeline_name": suggestion.ghl_pipeline_name or "",
                "ghl_stage_id": suggestion.ghl_stage_id,
                "ghl_stage_name": suggestion.ghl_stage_name or "",
                "confirmed_by": "", "confirmed_at": None})
    missing = [s.stage.value for s in suggestions if not s.matched]
    log.info("stage mapping suggested: %d matched, missing %s",
             len(suggestions) - len(missing), missing or "none")
    return suggestions


def crm_fields_setup(*, client: GhlFieldApi,
                     definitions: Sequence[FieldDefinition] = ALL_FIELDS,
                     ) -> Mapping[str, CrmField]:
    """Create the custom fields the location lacks and store every field's id by engine key."""
    fields = custom_fields_ensure(client=client, definitions=definitions)
    stored: dict[str, CrmField] = {}
    with transaction.atomic():
        for key, found in fields.items():
            stored[key], _ = CrmField.objects.update_or_create(key=key, defaults={
                "ghl_field_id": found.id, "ghl_field_key": found.field_key,
                "name": found.name})
    log.info("crm fields stored: %d", len(stored))
    return stored
