"""Issue 13: an uploaded category spreadsheet cannot take a web worker down.

A 50,000-row csv kept a worker past gunicorn's timeout, and an xlsx that unzips to 400 MB
grew one to 778 MB. Both are refused before they are parsed, in a sentence, and the
process's memory hardly moves; a kept preview never sits in the session.
"""

from __future__ import annotations

import io
import resource
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from integrations.models import CategoryUpload
from integrations.onboarding.workbook import MAX_UPLOAD_BYTES
from tests.onboarding.sheets import HEADERS, xlsx_build
from tests.portal.conftest import member_make
from tests.support.staff import staff_login

UNZIPPED_MB = 400
SHEET_XML = "xl/worksheets/sheet1.xml"


def _bomb() -> bytes:
    """A real workbook whose one sheet unzips to 400 MB of rows (a few hundred kB zipped)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    plain = io.BytesIO()
    book.save(plain)
    row = (b'<row><c t="inlineStr"><is><t>1</t></is></c>'
           b'<c t="inlineStr"><is><t>Block</t></is></c></row>')
    chunk = row * 10_000
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for member in source.infolist():
            if member.filename != SHEET_XML:
                bomb.writestr(member, source.read(member))
        with bomb.open(SHEET_XML, "w") as target:
            target.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats'
                         b'.org/spreadsheetml/2006/main"><sheetData>')
            for _ in range(UNZIPPED_MB * 1024 * 1024 // len(chunk) + 1):
                target.write(chunk)
            target.write(b"</sheetData></worksheet>")
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = _bomb()
    assert len(data) < MAX_UPLOAD_BYTES  # it passes the upload limit: only unzipping tells
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo(SHEET_XML).file_size > UNZIPPED_MB * 1024 * 1024
    return data


def _fifty_thousand_rows() -> bytes:
    lines = [",".join(HEADERS)] + [f"{n},Type {n},,,Block,,,," for n in range(50_000)]
    data = "\n".join(lines).encode()
    assert len(data) < MAX_UPLOAD_BYTES
    return data


def _measured(call: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """The call's result, seconds, peak Python allocation (MB) and peak RSS growth (MB)."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = call()
        seconds = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before
    return result, seconds, peak / 1024 / 1024, rss_growth


@pytest.fixture
def portal(practice_a: Any) -> Client:
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(member_make(practice_a, "alice"))
    return client


def _text(response: Any) -> str:
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.mark.parametrize(("name", "build", "says"), [
    ("categories.xlsx", None, "The workbook unpacks to 400 MB, more than a category "
                              "spreadsheet can hold (20 MB)."),
    ("categories.csv", _fifty_thousand_rows, "The file has more than 2,000 rows"),
])
def test_an_oversized_sheet_is_refused_at_once_without_growing_the_worker(
        portal: Client, bomb: bytes, name: str, build: Callable[[], bytes] | None,
        says: str) -> None:
    data = bomb if build is None else build()
    upload = SimpleUploadedFile(name, data)

    response, seconds, python_mb, rss_mb = _measured(
        lambda: portal.post("/categories/import/", {"spreadsheet": upload}))

    assert response.status_code == 200
    text = _text(response)
    assert says in text and "Nothing was imported" in text
    assert seconds < 2, f"refused after {seconds:.1f} s"
    assert python_mb < 300 and rss_mb < 300, (python_mb, rss_mb)
    assert not CategoryUpload.objects.exists()


def test_the_practice_admin_refuses_the_same_workbook(practice_a: Any, bomb: bytes) -> None:
    staff = Client(HTTP_HOST="alpha.localhost")
    staff_login(staff, User.objects.create_superuser("sam", "sam@example.com", "long pass 42"))

    response, seconds, python_mb, rss_mb = _measured(lambda: staff.post(
        "/admin/integrations/categorymapping/import/", {
            "resource": "0", "format": "0",
            "import_file": SimpleUploadedFile("categories.xlsx", bomb)}))

    assert "The workbook unpacks to 400 MB" in response.content.decode()
    assert seconds < 2 and python_mb < 300 and rss_mb < 300, (seconds, python_mb, rss_mb)


def test_a_previewed_sheet_waits_in_the_database_and_the_session_holds_its_token(
        portal: Client, practice_a: Any) -> None:
    from django_tenants.utils import schema_context

    from integrations.models import AppointmentType

    with schema_context(practice_a.schema_name):
        AppointmentType.objects.create(nextech_id="9", name="Zeta Follow Up")
    sheet = xlsx_build([["9", "Zeta Follow Up", "", "", "Post-Op Appointment"]])

    assert "Confirm import" in _text(portal.post(
        "/categories/import/", {"spreadsheet": SimpleUploadedFile("c.xlsx", sheet)}))

    stored = dict(portal.session.items())
    assert list(stored.values()).count(stored.get("portal_category_import")) == 1
    assert len(str(stored["portal_category_import"])) == 36  # a UUID, not the file
    with schema_context(practice_a.schema_name):
        assert bytes(CategoryUpload.objects.get().data) == sheet
    portal.post("/categories/import/confirm/")
    with schema_context(practice_a.schema_name):
        assert not CategoryUpload.objects.exists()  # taken by its confirmation
