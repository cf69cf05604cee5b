"""URLs on the agency host (public schema)."""

from django.urls import path

from tenants.admin import agency_admin_site

urlpatterns = [
    path("admin/", agency_admin_site.urls),
]
