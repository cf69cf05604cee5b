"""URLs on a practice's host (its schema): the portal and the practice admin."""

from django.urls import include, path

import integrations.admin_engine  # noqa: F401 - registers the engine queues' admin
from integrations.admin import practice_admin_site
from portal.urls import portal_patterns, signin_patterns

urlpatterns = [
    path("admin/", practice_admin_site.urls),
    path("", include((portal_patterns, "portal"))),
    path("", include((signin_patterns, "signin"))),
]
