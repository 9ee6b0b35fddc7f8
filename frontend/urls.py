"""URL routes of the web UI."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, reverse_lazy

from frontend.forms import LoginForm
from frontend.views import account, catalog, docs

app_name = "frontend"

_auth = "frontend/account/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", catalog.home, name="home"),
    path("api/", docs.api_docs, name="api-docs"),
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
