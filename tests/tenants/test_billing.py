"""Monthly bills: a location billable and active at any time in a month pays that month."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from integrations.models import Location
from tenants.billing import (
    LocationSpan,
    agency_report_read,
    practice_statement_read,
    statement_build,
)

PRICE = Decimal("99.00")
MARCH = date(2026, 3, 1)


def _bill(*spans: LocationSpan, month: date = MARCH):
    return statement_build(practice="Alpha", price_per_location=PRICE, month=month, spans=spans)


def test_a_location_added_in_the_middle_of_the_month_pays_the_whole_month():
    statement = _bill(LocationSpan("1", "Buckhead"),
                      LocationSpan("2", "Midtown", billable_from=date(2026, 3, 17)))
    assert [line.location for line in statement.lines] == ["Buckhead", "Midtown"]
    assert statement.total == Decimal("198.00")
    # The month before it opened does not include it.
    february = _bill(LocationSpan("1", "Buckhead"),
                     LocationSpan("2", "Midtown", billable_from=date(2026, 3, 17)),
                     month=date(2026, 2, 1))
    assert [line.location for line in february.lines] == ["Buckhead"]
    assert february.total == PRICE


@pytest.mark.parametrize(("span", "billed"), [
    (LocationSpan("x", "Closed on the 1st", billable_until=date(2026, 3, 1)), True),
    (LocationSpan("x", "Closed in February", billable_until=date(2026, 2, 28)), False),
    (LocationSpan("x", "Opens on the 31st", billable_from=date(2026, 3, 31)), True),
    (LocationSpan("x", "Opens in April", billable_from=date(2026, 4, 1)), False),
    (LocationSpan("x", "Ten days", billable_from=date(2026, 3, 5),
                  billable_until=date(2026, 3, 15)), True),
])
def test_any_day_in_the_month_counts(span, billed):
    assert _bill(span).locations == (1 if billed else 0)


def test_a_practice_statement_counts_its_billable_active_locations(practice_a):
    with schema_context(practice_a.schema_name):
        Location.objects.create(nextech_id="1", name="Buckhead")
        Location.objects.create(nextech_id="2", name="Midtown")
        Location.objects.create(nextech_id="3", name="Back office", billable=False)
        Location.objects.create(nextech_id="4", name="Closed", active=False)
    practice_a.price_per_location = Decimal("120.00")
    statement = practice_statement_read(practice=practice_a, month=MARCH)
    assert [(line.location, line.amount) for line in statement.lines] == [
        ("Buckhead", Decimal("120.00")), ("Midtown", Decimal("120.00"))]
    assert statement.total == Decimal("240.00")


def test_the_agency_report_has_every_practice_and_a_total(practice_a, practice_b):
    with schema_context(practice_a.schema_name):
        Location.objects.create(nextech_id="1", name="Buckhead")
    with schema_context(practice_b.schema_name):
        Location.objects.create(nextech_id="1", name="Bravo Main")  # B is still onboarding
    report = agency_report_read(month=MARCH)
    by_name = {s.practice: s.total for s in report.statements}
    assert by_name["Alpha Plastic Surgery"] == PRICE
    assert by_name["Bravo Med Spa"] == Decimal("0.00")
    assert report.total == PRICE


def test_the_billing_page_and_its_csv_and_xlsx_exports(agency, practice_a):  # noqa: F811
    with schema_context(practice_a.schema_name):
        Location.objects.create(nextech_id="1", name="Buckhead")
        Location.objects.create(nextech_id="2", name="Midtown")
    page = agency.get("/admin/tenants/practice/billing/", {"month": "2026-03"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Billing for March 2026" in text
    assert "2: Buckhead, Midtown" in text and 'id="billing-total">$198.00' in text

    exported = agency.get("/admin/tenants/practice/billing/",
                          {"month": "2026-03", "format": "csv"})
    assert exported["Content-Disposition"] == (
        'attachment; filename="ax-connect-billing-2026-03.csv"')
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0] == ["Practice", "Location", "Nextech id", "Amount (USD)"]
    assert ["Alpha Plastic Surgery", "Buckhead", "1", "99.00"] in rows
    assert rows[-1] == ["All practices", "Total (2 locations)", "", "198.00"]

    xlsx = agency.get("/admin/tenants/practice/billing/", {"month": "2026-03", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[sheet.max_row]] == [
        "All practices", "Total (2 locations)", None, "198.00"]


FORMULA_NAMES = ['=HYPERLINK("http://evil.example","Pay here")', "+1 Downtown", "-Lakeside",
                 "@SUM(A1)"]


def test_location_names_that_look_like_formulas_are_text_in_both_exports(
        agency, practice_a):  # noqa: F811
    with schema_context(practice_a.schema_name):
        for number, name in enumerate(FORMULA_NAMES, start=1):
            Location.objects.create(nextech_id=str(number), name=name)

    exported = agency.get("/admin/tenants/practice/billing/",
                          {"month": "2026-03", "format": "csv"})
    locations = {row[2]: row[1] for row in csv.reader(io.StringIO(exported.content.decode()))
                 if row[0] == "Alpha Plastic Surgery" and row[2]}
    assert locations == {str(n): f"'{name}" for n, name in enumerate(FORMULA_NAMES, start=1)}

    xlsx = agency.get("/admin/tenants/practice/billing/", {"month": "2026-03", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == (
        "Alpha Plastic Surgery") and row[2].value]
    assert [cell.value for cell in cells] == sorted(f"'{name}" for name in FORMULA_NAMES)
    assert {cell.data_type for cell in cells} == {"s"}  # text, never a formula


def test_the_billing_page_is_for_agency_staff(practice_a, db):
    member = User.objects.create_user("member", "m@example.com", "a long password 42")
    client = Client(HTTP_HOST="localhost")
    client.force_login(member)
    assert client.get("/admin/tenants/practice/billing/").status_code == 302
