"""Onboarding a practice: pull its Nextech catalog and locations, read its GoHighLevel
set-up, suggest categories and stages, and the category spreadsheet.

Services take API clients as arguments, so tests and the demo pass sandbox-backed ones.
"""

from integrations.onboarding.catalog import (
    CatalogPullResult,
    LocationsPullResult,
    catalog_pull,
    locations_pull,
)
from integrations.onboarding.crm import StageSuggestion, crm_fields_setup, stage_mapping_suggest
from integrations.onboarding.setup import (
    PracticeSetupSummary,
    practice_crm_setup,
    summary_as_dict,
)
from integrations.onboarding.spreadsheet import (
    RowProblem,
    SpreadsheetImportResult,
    category_spreadsheet_export,
    category_spreadsheet_import,
)
from integrations.onboarding.suggest import category_suggest

__all__ = [
    "CatalogPullResult",
    "LocationsPullResult",
    "PracticeSetupSummary",
    "RowProblem",
    "SpreadsheetImportResult",
    "StageSuggestion",
    "catalog_pull",
    "category_spreadsheet_export",
    "category_spreadsheet_import",
    "category_suggest",
    "crm_fields_setup",
    "locations_pull",
    "practice_crm_setup",
    "stage_mapping_suggest",
    "summary_as_dict",
]
