"""The portal's pages on a practice's host (namespace `portal`)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from portal.views import (
    activity,
    auth,
    billing,
    categories,
    dashboard,
    failures,
    members,
    review,
    signin,
    sync,
)

portal_patterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="portal:login"), name="logout"),
    path("password-reset/", auth.PortalPasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth.PortalPasswordResetSentView.as_view(),
         name="password_reset_sent"),
    path("password-reset/<uidb64>/<token>/", auth.PortalPasswordSetView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", auth.PortalPasswordSetDoneView.as_view(),
         name="password_reset_complete"),
    path("categories/", categories.category_review, name="categories"),
    path("categories/set/", categories.category_set, name="category_set"),
    path("categories/confirm-all/", categories.category_confirm_all,
         name="category_confirm_all"),
    path("categories/reevaluate/", categories.category_reevaluate, name="category_reevaluate"),
    path("categories/export.<str:file_format>", categories.category_export,
         name="category_export"),
    path("categories/import/", categories.category_import, name="category_import"),
    path("categories/import/confirm/", categories.category_import_confirm,
         name="category_import_confirm"),
    path("activity/", activity.activity_search, name="activity"),
    path("activity/<str:patient_ref>/", activity.activity_patient, name="activity_patient"),
    path("sync/", sync.sync_now, name="sync_now"),
    path("review/", review.review_queue, name="review"),
    path("failures/", failures.failures, name="failures"),
    path("failures/retry/", failures.failure_retry, name="failure_retry"),
    path("bill/", billing.bill, name="bill"),
    path("members/", members.member_list, name="members"),
    path("members/add/", members.member_add, name="member_add"),
    path("members/<int:membership_id>/", members.member_change, name="member_change"),
]

# The second step of signing in and its set-up, on every host (namespace `signin`).
signin_patterns = [
    path("account/verify/", signin.verify, name="verify"),
    path("account/two-factor/", signin.setup, name="two_factor"),
    path("account/sign-out/", signin.signout, name="signout"),
]
