"""URL routes of the web UI."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, reverse_lazy

from frontend.forms import LoginForm
from frontend.views import (
    account,
    admin,
    catalog,
    developer,
    docs,
    hostkeys,
    hosts,
    reviewer,
    testservers,
)

app_name = "frontend"

_auth = "frontend/account/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", catalog.home, name="home"),
    path("plugins/<str:plugin_id>/", catalog.plugin_detail, name="plugin-detail"),
    path("signing-key.asc", catalog.signing_key, name="signing-key"),
    path("api/", docs.api_docs, name="api-docs"),
    # Developer
    path("submissions/", developer.submission_list, name="submission-list"),
    path("submissions/new/", developer.submission_new, name="submission-new"),
    path("submissions/<int:pk>/", developer.submission_detail, name="submission-detail"),
    path(
        "submissions/<int:pk>/resubmit/",
        developer.submission_resubmit_view,
        name="submission-resubmit",
    ),
    path(
        "submissions/<int:pk>/pull-nightly/",
        developer.submission_pull_nightly,
        name="submission-pull-nightly",
    ),
    path(
        "submissions/<int:pk>/withdraw/",
        developer.submission_withdraw_view,
        name="submission-withdraw",
    ),
    # Reviewer
    path("reviews/", reviewer.review_queue, name="review-queue"),
    path("reviews/mine/", reviewer.my_reviews, name="my-reviews"),
    path("reviews/<int:pk>/", reviewer.review_detail, name="review-detail"),
    path("reviews/<int:pk>/decide/", reviewer.review_decide, name="review-decide"),
    path("reviews/<int:pk>/pull-nightly/", reviewer.nightly_pull, name="nightly-pull"),
    path("findings/<int:pk>/waive/", reviewer.finding_waive_view, name="finding-waive"),
    path(
        "test-servers/<slug:host>/<str:plugin_id>/",
        testservers.test_server_plugin,
        name="test-server-plugin",
    ),
    # Admin
    path("manage/", admin.admin_home, name="admin-home"),
    path("manage/members/add/", admin.member_add, name="member-add"),
    path("manage/members/remove/", admin.member_remove, name="member-remove"),
    path("manage/signing-key/", admin.signing_key_create, name="signing-key-create"),
    path("manage/dashboard/", admin.dashboard, name="dashboard"),
    # Admin: host servers
    path("manage/hosts/", hosts.host_list, name="host-list"),
    path("manage/hosts/<slug:name>/", hosts.host_detail, name="host-detail"),
    path("manage/hosts/<slug:name>/connect/", hosts.host_connect, name="host-connect"),
    path("manage/hosts/<slug:name>/action/", hosts.host_action, name="host-action"),
    path("manage/hosts/<slug:name>/upload/", hosts.host_upload, name="host-upload"),
    path("manage/hosts/<slug:name>/keys/", hostkeys.host_keys, name="host-keys"),
    path("manage/hosts/<slug:name>/keys/remove/", hostkeys.host_key_remove, name="host-key-remove"),
    path(
        "manage/hosts/<slug:name>/keys/trust-portal/",
        hostkeys.host_key_trust_portal,
        name="host-key-trust-portal",
    ),
    # Account
    path("accounts/signup/", account.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name=f"{_auth}login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", account.account, name="account"),
    path("accounts/token/create/", account.token_create, name="token-create"),
    path("accounts/token/revoke/", account.token_revoke, name="token-revoke"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name=f"{_auth}password_change.html",
            success_url=reverse_lazy("frontend:account"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name=f"{_auth}password_reset_form.html",
            email_template_name=f"{_auth}password_reset_email.txt",
            subject_template_name=f"{_auth}password_reset_subject.txt",
            success_url=reverse_lazy("frontend:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name=f"{_auth}password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name=f"{_auth}password_reset_confirm.html",
            success_url=reverse_lazy("frontend:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name=f"{_auth}password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
