"""URLs on the agency host (public schema)."""

from django.urls import include, path

import tenants.admin_health  # noqa: F401 - registers the health dashboard and incidents
import tenants.admin_signin  # noqa: F401 - registers lockouts and second-factor devices
from axconnect.metrics import metrics_view
from portal.urls import signin_patterns
from tenants import views_ghl
from tenants.admin import agency_admin_site

urlpatterns = [
    path("admin/", agency_admin_site.urls),
    path("", include((signin_patterns, "signin"))),
    path(
        "ghl/connect/<int:practice_id>/",
        agency_admin_site.admin_view(views_ghl.ghl_connect_start),
        name="ghl_connect_start",
    ),
    path(
        "ghl/connect/callback/",
        agency_admin_site.admin_view(views_ghl.ghl_connect_callback),
        name="ghl_connect_callback",
    ),
    path("webhooks/ghl/", views_ghl.ghl_webhook, name="ghl_webhook"),
    path("metrics", metrics_view, name="metrics"),
]
