"""Set a practice's CRM side up in one call: catalog, locations, stages, custom fields.

The agency onboarding page and `manage.py demo` call this with clients they built from
the practice's stored credentials (or the sandboxes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django_tenants.utils import tenant_context

from integrations.http import ApiError, error_summary
from integrations.models import CrmField
from integrations.onboarding.catalog import (
    CatalogPullResult,
    LocationsPullResult,
    NextechCatalogApi,
    catalog_pull,
    locations_pull,
)
from integrations.onboarding.crm import (
    GhlFieldApi,
    GhlPipelineApi,
    StageSuggestion,
    crm_fields_setup,
    stage_mapping_suggest,
)
from tenants.models import Practice

log = logging.getLogger(__name__)
T = TypeVar("T")


class GhlSetupApi(GhlPipelineApi, GhlFieldApi, Protocol):
    pass


@dataclass
class PracticeSetupSummary:
    """What each step did, and for a step that failed, why (for the onboarding page)."""

    catalog: CatalogPullResult | None = None
    locations: LocationsPullResult | None = None
    stages: list[StageSuggestion] | None = None
    fields: Mapping[str, CrmField] | None = None
    failures: dict[str, str] = field(default_factory=dict)  # step name -> message

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def stages_unmatched(self) -> list[str]:
        return [s.stage.label for s in self.stages or () if not s.matched]


def _step(summary: PracticeSetupSummary, name: str, run: Callable[[], T]) -> T | None:
    # One system being down must not stop the other's set-up: each step stands alone
    # and staff re-run the whole thing once the cause is fixed (every step is idempotent).
    try:
        return run()
    except ApiError as error:
        summary.failures[name] = f"{error.system}: {error_summary(error)}"
        log.warning("practice set-up step %s failed: %s", name, error.kind)
        return None


def practice_crm_setup(*, practice: Practice, nextech: NextechCatalogApi,
                       ghl: GhlSetupApi) -> PracticeSetupSummary:
    """Pull the catalog and locations, suggest stage mappings and ensure the custom fields.

    Runs in the practice's schema whatever schema the caller is in; safe to run again.
    """
    surgical = practice.practice_type != Practice.Kind.MEDSPA
    summary = PracticeSetupSummary()
    with tenant_context(practice):
        summary.catalog = _step(summary, "catalog", lambda: catalog_pull(
            client=nextech, surgical_practice=surgical))
        summary.locations = _step(summary, "locations", lambda: locations_pull(client=nextech))
        summary.stages = _step(summary, "stages", lambda: stage_mapping_suggest(client=ghl))
        summary.fields = _step(summary, "fields", lambda: crm_fields_setup(client=ghl))
    log.info("practice set-up for %s: %s", practice.schema_name,
             "ok" if summary.ok else f"failed steps {sorted(summary.failures)}")
    return summary


def summary_as_dict(summary: PracticeSetupSummary) -> dict[str, Any]:
    """A JSON-friendly digest for the demo command's output and the onboarding page."""
    catalog, locations = summary.catalog, summary.locations
    return {
        "types": (catalog.types.created + catalog.types.updated) if catalog else None,
        "purposes": (catalog.purposes.created + catalog.purposes.updated) if catalog else None,
        "suggested_mappings": catalog.mappings_suggested if catalog else None,
        "unmapped_types": list(catalog.unmapped_types) if catalog else None,
        "locations": (locations.counts.created + locations.counts.updated) if locations else None,
        "stages_matched": (len(summary.stages) - len(summary.stages_unmatched)
                           if summary.stages is not None else None),
        "stages_unmatched": summary.stages_unmatched,
        "fields": len(summary.fields) if summary.fields is not None else None,
        "failures": dict(summary.failures),
    }
