"""URLs on a practice's host (its schema): the portal and the practice admin."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

import integrations.admin_engine  # noqa: F401 - registers the engine queues' admin
from integrations.admin import practice_admin_site
from portal import views

portal_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="portal:login"), name="logout"),
]

urlpatterns = [
    path("admin/", practice_admin_site.urls),
    path("", include((portal_patterns, "portal"))),
]
