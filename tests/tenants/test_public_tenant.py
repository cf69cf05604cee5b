"""The agency's own public tenant is not a practice: never listed, opened or deleted."""

from __future__ import annotations

from tenants.models import Practice
from tenants.services import public_tenant_ensure


def test_public_tenant_is_not_listed_or_offered(admin_client, practice_a, settings):
    public = public_tenant_ensure()
    listing = admin_client.get("/admin/tenants/practice/", HTTP_HOST=settings.BASE_DOMAIN)
    html = listing.content.decode()
    assert f"/admin/tenants/practice/{public.pk}/change/" not in html
    assert f"/admin/tenants/practice/{practice_a.pk}/change/" in html
    membership = admin_client.get("/admin/tenants/membership/add/",
                                  HTTP_HOST=settings.BASE_DOMAIN).content.decode()
    assert f'<option value="{public.pk}"' not in membership
    assert f'<option value="{practice_a.pk}"' in membership


def test_public_tenant_cannot_be_opened_or_deleted(admin_client, settings):
    public = public_tenant_ensure()
    for url in (f"/admin/tenants/practice/{public.pk}/change/",
                f"/admin/tenants/practice/{public.pk}/delete/"):
        page = admin_client.get(url, HTTP_HOST=settings.BASE_DOMAIN, follow=True)
        assert "doesn’t exist" in page.content.decode(), url
    posted = admin_client.post(f"/admin/tenants/practice/{public.pk}/delete/", {"post": "yes"},
                               HTTP_HOST=settings.BASE_DOMAIN)
    assert posted.status_code == 302
    assert Practice.objects.filter(pk=public.pk).exists()


def test_bulk_delete_never_takes_the_public_tenant(admin_client, settings):
    public = public_tenant_ensure()
    doomed = Practice.objects.bulk_create([Practice(name="Row Only", slug="row-only",
                                                    schema_name="p_row_only")])[0]
    answer = admin_client.post("/admin/tenants/practice/", {
        "action": "delete_selected", "post": "yes",
        "_selected_action": [str(public.pk), str(doomed.pk)]}, HTTP_HOST=settings.BASE_DOMAIN)
    assert answer.status_code == 302
    assert Practice.objects.filter(pk=public.pk).exists()
    assert not Practice.objects.filter(pk=doomed.pk).exists()
