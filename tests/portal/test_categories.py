"""Category review: see, change, confirm, re-evaluate, and the spreadsheet round trip."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from integrations.categories import Category
from integrations.models import CategoryMapping, InboxItem, KnownAppointment, SyncLog
from tests.onboarding.sheets import xlsx_build, xlsx_rows
from tests.portal.conftest import in_schema


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_unmapped_types_come_first_with_a_count_and_who_confirmed(portal_a, catalog_a):
    text = _text(portal_a.get("/categories/"))
    assert "1 appointment type not mapped" in text
    assert "1 suggestion waiting for confirmation" in text
    # Zeta Follow Up sorts last by name, but nobody mapped it: it leads the table.
    order = [text.index(name) for name in ("Zeta Follow Up Not mapped", "Botox",
                                           "Surgical Consult Surgical Consult")]
    assert order == sorted(order)
    assert "Suggested from the name" in text  # Botox
    assert "bob" in text  # who confirmed Surgical Consult
    assert "Revision (purpose)" in text and "Follows the type" in text


def test_changing_a_confirmed_category_offers_to_re_evaluate(portal_a, catalog_a, practice_a):
    consult = catalog_a["consult"]  # confirmed by bob: contacts moved by it already
    response = portal_a.post("/categories/set/", {"appointment_type": consult.pk,
                                                  "category": "non_surgical_consult"})
    assert response.status_code == 302
    assert response["Location"] == f"/categories/?changed={consult.pk}#type-{consult.pk}"
    with in_schema(practice_a):
        mapping = CategoryMapping.objects.get(appointment_type=consult, purpose=None)
        assert mapping.category == "non_surgical_consult"
        assert mapping.source == CategoryMapping.Source.CONFIRMED
        assert mapping.confirmed_by == "alice" and mapping.confirmed_at is not None
        assert SyncLog.objects.filter(kind="category").count() == 1
    text = _text(portal_a.get(response["Location"]))
    assert "Saved and confirmed." in text
    assert "Category changed for Surgical Consult" in text
    assert "Re-evaluate recent contacts" in text


def test_choosing_another_category_than_suggested_confirms_it_without_re_evaluation(
        portal_a, catalog_a, practice_a):
    # The suggestion moved nothing, so nothing is to be re-evaluated: what waited moves.
    botox = catalog_a["botox"]
    response = portal_a.post("/categories/set/", {"appointment_type": botox.pk,
                                                  "category": "non_surgical_appointment"})
    assert response["Location"] == f"/categories/#type-{botox.pk}"
    with in_schema(practice_a):
        mapping = CategoryMapping.objects.get(appointment_type=botox, purpose=None)
        assert (mapping.category, mapping.source) == ("non_surgical_appointment", "confirmed")
    assert "0 suggestions waiting" in _text(portal_a.get("/categories/"))


def test_confirming_a_suggestion_unchanged_does_not_offer_re_evaluation(portal_a, catalog_a,
                                                                        practice_a):
    botox = catalog_a["botox"]
    response = portal_a.post("/categories/set/", {"appointment_type": botox.pk,
                                                  "category": "non_surgical_consult"})
    assert response["Location"] == f"/categories/#type-{botox.pk}"
    with in_schema(practice_a):
        assert CategoryMapping.objects.get(appointment_type=botox).source == "confirmed"


def test_a_purpose_gets_its_own_category_then_follows_its_type_again(portal_a, catalog_a,
                                                                      practice_a):
    consult, revision = catalog_a["consult"], catalog_a["revision"]
    portal_a.post("/categories/set/", {"appointment_type": consult.pk, "purpose": revision.pk,
                                       "category": "surgical_appointment"})
    with in_schema(practice_a):
        assert CategoryMapping.objects.get(purpose=revision).category == "surgical_appointment"
    portal_a.post("/categories/set/", {"appointment_type": consult.pk, "purpose": revision.pk,
                                       "category": ""})
    with in_schema(practice_a):
        assert not CategoryMapping.objects.filter(purpose=revision).exists()


def test_an_unknown_category_or_type_is_refused(portal_a, catalog_a, practice_a):
    botox = catalog_a["botox"]
    assert portal_a.post("/categories/set/", {"appointment_type": botox.pk,
                                              "category": "spa_day"}).status_code == 400
    assert portal_a.post("/categories/set/", {"appointment_type": 99999,
                                              "category": "block"}).status_code == 400
    with in_schema(practice_a):
        assert CategoryMapping.objects.get(appointment_type=botox).category == (
            Category.NON_SURGICAL_CONSULT.value)


def _processed(external_id: str, version: str) -> InboxItem:
    return InboxItem.objects.create(resource="Appointment", external_id=external_id,
                                    version=version, payload={"id": external_id},
                                    state=InboxItem.State.DONE)


def test_re_evaluate_requeues_the_latest_version_of_recent_appointments_of_that_type(
        portal_a, catalog_a, practice_a):
    now = timezone.now()
    with in_schema(practice_a):
        for nextech_id, type_id, age in (("a1", "5", 3), ("a2", "5", 45), ("a3", "1", 1)):
            KnownAppointment.objects.create(nextech_id=nextech_id, patient_id="p1",
                                            type_id=type_id, start=now,
                                            last_updated=now - timedelta(days=age))
        older, latest = _processed("a1", "v1"), _processed("a1", "v2")
        too_old, other_type = _processed("a2", "v1"), _processed("a3", "v1")
    response = portal_a.post("/categories/reevaluate/", {
        "appointment_type": catalog_a["botox"].pk, "days": "30"})
    assert response.status_code == 302
    with in_schema(practice_a):
        states = {item.pk: item.state for item in InboxItem.objects.all()}
    assert states == {older.pk: "done", latest.pk: "new", too_old.pk: "done",
                      other_type.pk: "done"}
    assert "1 appointment of the last 30 days will be decided again" in _text(
        portal_a.get("/categories/"))


def test_export_downloads_the_spreadsheet_with_unmapped_types_on_top(portal_a, catalog_a):
    response = portal_a.get("/categories/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="categories.xlsx"'
    rows = xlsx_rows(response.content)
    assert rows[1][1] == "Zeta Follow Up" and rows[1][4] == ""
    assert portal_a.get("/categories/export.csv").content.decode("utf-8-sig").startswith(
        "Appointment type id,")


def _upload(client, data: bytes, name: str = "categories.xlsx"):
    return client.post("/categories/import/",
                       {"spreadsheet": SimpleUploadedFile(name, data)})


def test_a_sheet_with_a_bad_row_shows_row_n_and_imports_nothing(portal_a, catalog_a,
                                                                practice_a):
    sheet = xlsx_build([["9", "Zeta Follow Up", "", "", "Post-Op Appointment"],
                        ["5", "Botox", "", "", "Spa Day"]])
    text = _text(_upload(portal_a, sheet))
    assert "Nothing was imported" in text
    assert "Row 3: Category: “Spa Day” is not a category." in text
    assert "Confirm import" not in text
    # Confirming after a failed preview imports nothing either.
    assert portal_a.post("/categories/import/confirm/").status_code == 302
    with in_schema(practice_a):
        assert not CategoryMapping.objects.filter(appointment_type=catalog_a["mystery"]).exists()


def test_a_good_sheet_is_previewed_then_imported_on_confirm(portal_a, catalog_a, practice_a):
    sheet = xlsx_build([["9", "Zeta Follow Up", "", "", "Post-Op Appointment"]])
    text = _text(_upload(portal_a, sheet))
    assert "The file is valid: 1 new" in text and "Confirm import" in text
    with in_schema(practice_a):
        assert not CategoryMapping.objects.filter(appointment_type=catalog_a["mystery"]).exists()
    response = portal_a.post("/categories/import/confirm/")
    assert response.status_code == 302
    with in_schema(practice_a):
        mapping = CategoryMapping.objects.get(appointment_type=catalog_a["mystery"])
    assert (mapping.category, mapping.source, mapping.confirmed_by) == (
        "post_op", "imported", "alice")
    assert "Imported 1 rows from categories.xlsx" in _text(portal_a.get("/categories/"))


def test_a_file_that_is_not_a_spreadsheet_is_refused(portal_a, catalog_a):
    text = _text(portal_a.post("/categories/import/", {
        "spreadsheet": SimpleUploadedFile("notes.txt", b"hello")}, follow=True))
    assert "Choose an .xlsx or .csv file" in text


def test_each_row_says_what_its_category_does(portal_a, catalog_a):
    text = _text(portal_a.get("/categories/"))
    assert ("Surgical pipeline: Consult Booked when booked, Consult Complete when fulfilled, "
            "Cancelled / No-Show when cancelled or a no-show.") in text  # confirmed by bob
    assert ("Waits for review, moves nothing. Once confirmed: Non-Surgical pipeline: Booked "
            "when booked, Patient when fulfilled") in text  # Botox, only suggested
    assert "Moves nothing until a category is chosen." in text  # Zeta, unmapped
    assert "Revision (purpose)" in text and "Follows the type" in text


def test_confirm_all_shown_confirms_the_suggestions_on_the_page_and_nothing_else(
        portal_a, catalog_a, practice_a):
    page = portal_a.get("/categories/").content.decode()
    assert "Confirm all 1 suggestion shown" in page
    shown = re.findall(r'name="mapping" value="(\d+)"', page)
    assert shown == [str(catalog_a["suggested"].pk)]
    with in_schema(practice_a):  # a suggestion added after the page was shown
        later = CategoryMapping.objects.create(appointment_type=catalog_a["mystery"],
                                               category="block")
    response = portal_a.post("/categories/confirm-all/", {"mapping": shown}, follow=True)
    assert ("1 suggestion confirmed as shown; appointments that waited for them move at the "
            "next sync.") in _text(response)
    with in_schema(practice_a):
        botox = CategoryMapping.objects.get(pk=catalog_a["suggested"].pk)
        assert (botox.category, botox.source, botox.confirmed_by) == (
            "non_surgical_consult", "confirmed", "alice")
        assert CategoryMapping.objects.get(pk=later.pk).source == "suggested"
        bob = CategoryMapping.objects.get(pk=catalog_a["confirmed"].pk)
        assert bob.confirmed_by == "bob"  # already decided: left alone


def test_a_med_spa_is_told_what_a_surgical_category_does_there(portal_a, catalog_a,
                                                              practice_a):
    practice_a.practice_type = "medspa"
    practice_a.save(update_fields=["practice_type"])
    page = portal_a.get("/categories/").content.decode()
    text = _text(portal_a.get("/categories/"))
    assert "This practice is a med spa: it has only the non-surgical pipeline." in text
    assert ('<optgroup label="Surgical (no surgical pipeline here: moves nothing, flagged for '
            'review)">') in page
    # Surgical Consult's confirmed row says what it does at a med spa.
    assert ("Moves nothing: this practice has no surgical pipeline, so the appointment is "
            "flagged for review.") in text


def test_an_unchanged_export_uploaded_back_confirms_nothing(portal_a, catalog_a, practice_a):
    exported = portal_a.get("/categories/export.xlsx").content
    text = _text(_upload(portal_a, exported))
    assert "1 row already confirmed with the same category: left as they are." in text
    assert "rows with no category filled in: they stay waiting for review" in text
    assert "Nothing in this file changes a category" in text
    assert "Confirm import" not in text
    with in_schema(practice_a):
        assert CategoryMapping.objects.get(pk=catalog_a["suggested"].pk).source == "suggested"
