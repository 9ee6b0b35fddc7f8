"""Account pages: sign up, the account page and personal API tokens.

Log in, log out, password change and reset are Django's own auth views with our templates
(see ``frontend/urls.py``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from common import roles
from common.errors import Conflict
from frontend import selectors, services
from frontend.access import current_user
from frontend.forms import SignupForm


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("frontend:account")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except Conflict as exc:
            # Lost a race with another sign-up of the same name: show it where it belongs.
            field = "email" if exc.code == "email_taken" else "username"
            form.add_error(field, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.get_username()}! Your account is ready.")
            return redirect("frontend:account")
    return render(request, "frontend/account/signup.html", {"form": form})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/account/account.html", _account_context(request))


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    token = services.api_token_create(user=current_user(request))
    # The key is shown in this response only, never stored in a message or a redirect URL.
    context = _account_context(request)
    context["new_token_key"] = token.key
    response = render(request, "frontend/account/account.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    if services.api_token_revoke(user=current_user(request)):
        messages.success(request, "Your API token was revoked. Programs using it are now refused.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("frontend:account")


def _account_context(request: HttpRequest) -> dict[str, object]:
    user = current_user(request)
    token = selectors.api_token_get(user=user)
    return {
        "groups": sorted(roles.user_groups(user)),
        "is_admin": roles.is_portal_admin(user),
        "token": token,
        "api_base": request.build_absolute_uri("/api/catalog/"),
    }
