"""Monthly bills: billable active locations × the practice's price per location.

The rule, kept simple on purpose: a location counts for a whole month if it was billable
and active at any time in that month; there is no proration by day. A location that
starts mid-month pays the full month, and so does one that stops mid-month.

Locations do not yet record when they became (or stopped being) billable, so the loader
reads today's flags: a location that is billable and active now is billed for the month
asked about. `statement_build` already takes per-location date spans, so once locations
keep that history only `location_spans_read` changes.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django_tenants.utils import tenant_context

from tenants.models import Practice

# What staff read under a bill.
BILLING_RULE = ("Each location that is billable and active at any time in a month is billed "
                "for the whole month, at the practice's price per location.")


@dataclass(frozen=True)
class LocationSpan:
    """When a location was billable and active; None on a side means unbounded."""

    nextech_id: str
    name: str
    billable_from: date | None = None
    billable_until: date | None = None  # the last billable day, inclusive


@dataclass(frozen=True)
class StatementLine:
    location: str
    nextech_id: str
    amount: Decimal


@dataclass(frozen=True)
class Statement:
    practice: str
    month: date  # the first day of the month
    price_per_location: Decimal
    lines: tuple[StatementLine, ...]

    @property
    def locations(self) -> int:
        return len(self.lines)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def span_in_month(span: LocationSpan, month: date) -> bool:
    """True if the span touches any day of the month."""
    first, last = month_start(month), month_end(month)
    starts_in_time = span.billable_from is None or span.billable_from <= last
    ends_in_time = span.billable_until is None or span.billable_until >= first
    return starts_in_time and ends_in_time


def statement_build(*, practice: str, price_per_location: Decimal, month: date,
                    spans: Iterable[LocationSpan]) -> Statement:
    """A month's statement from location spans (pure)."""
    lines = tuple(
        StatementLine(location=span.name, nextech_id=span.nextech_id, amount=price_per_location)
        for span in sorted(spans, key=lambda s: s.name)
        if span_in_month(span, month)
    )
    return Statement(practice=practice, month=month_start(month),
                     price_per_location=price_per_location, lines=lines)


def location_spans_read() -> list[LocationSpan]:
    """This schema's billable locations as spans (today's flags; see the module docstring)."""
    from integrations.selectors.billing import billable_locations_list

    return [LocationSpan(nextech_id=loc.nextech_id, name=loc.name)
            for loc in billable_locations_list()]


def practice_statement_read(*, practice: Practice, month: date) -> Statement:
    """The practice's statement. A practice still onboarding has not gone live and bills
    nothing; a paused one was live earlier in the month (as far as we know) and bills."""
    spans: list[LocationSpan] = []
    if practice.status != Practice.Status.ONBOARDING:
        with tenant_context(practice):
            spans = location_spans_read()
    return statement_build(practice=practice.name, price_per_location=practice.price_per_location,
                           month=month, spans=spans)


@dataclass(frozen=True)
class AgencyReport:
    month: date
    statements: tuple[Statement, ...]

    @property
    def total(self) -> Decimal:
        return sum((s.total for s in self.statements), Decimal("0.00"))

    @property
    def locations(self) -> int:
        return sum(s.locations for s in self.statements)


def agency_report_read(*, month: date) -> AgencyReport:
    """Every practice's statement for the month."""
    practices = Practice.objects.exclude(schema_name="public").order_by("name")
    statements = tuple(practice_statement_read(practice=practice, month=month)
                       for practice in practices)
    return AgencyReport(month=month_start(month), statements=statements)


def report_rows(report: AgencyReport) -> list[tuple[str, str, str, str]]:
    """Rows for the csv/xlsx export: one per location, a subtotal per practice, a total."""
    rows = [("Practice", "Location", "Nextech id", "Amount (USD)")]
    for statement in report.statements:
        rows.extend((statement.practice, line.location, line.nextech_id, str(line.amount))
                    for line in statement.lines)
        rows.append((statement.practice, f"Subtotal ({statement.locations} locations)", "",
                     str(statement.total)))
    rows.append(("All practices", f"Total ({report.locations} locations)", "", str(report.total)))
    return rows
