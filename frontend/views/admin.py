"""Admin pages: roles (reviewer groups, portal admins), signing keys, the pipeline dashboard."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from common import roles
from common.errors import PortalError
from common.signing import portal_keyring
from frontend import selectors, services
from frontend.access import admin_required, current_user
from frontend.dashboard import build_dashboard
from frontend.pipeline import GROUP_LABELS
from hostserver import selectors as host_selectors


class AddMemberForm(forms.Form):
    # capfirst, as the group headings use: str.capitalize() lower-cased "QA" and "PM/UX".
    group = forms.ChoiceField(
        label="Role", choices=[(g, capfirst(GROUP_LABELS[g])) for g in roles.ALL_GROUPS]
    )
    username = forms.CharField(label="Username", max_length=150)


@admin_required
def admin_home(request: HttpRequest) -> HttpResponse:
    return _admin_page(request, AddMemberForm())


def _admin_page(request: HttpRequest, form: AddMemberForm, status: int = 200) -> HttpResponse:
    keyring = portal_keyring()
    fingerprint = keyring.fingerprint()
    hosts = [
        (host.name, list(host_selectors.trusted_key_list(host=host)))
        for host in host_selectors.host_list()
    ]
    context = {
        "groups": [(g, GROUP_LABELS[g], users) for g, users in selectors.group_members()],
        "form": form,
        "fingerprint": fingerprint,
        "public_key": keyring.export_public() if fingerprint else "",
        "hosts": hosts,
    }
    return render(request, "frontend/admin/home.html", context, status=status)


@admin_required
@require_POST
def member_add(request: HttpRequest) -> HttpResponse:
    form = AddMemberForm(request.POST)
    if form.is_valid():
        try:
            user = services.group_member_add(
                group_name=form.cleaned_data["group"], username=form.cleaned_data["username"]
            )
        except PortalError as exc:
            form.add_error("username", exc.message)
        else:
            label = GROUP_LABELS[form.cleaned_data["group"]]
            messages.success(request, f"{user.username} is now in {label}.")
            return redirect("frontend:admin-home")
    return _admin_page(request, form, status=400)


@admin_required
@require_POST
def member_remove(request: HttpRequest) -> HttpResponse:
    try:
        services.group_member_remove(
            group_name=request.POST.get("group", ""),
            user_id=int(request.POST.get("user_id", "0") or 0),
            actor=current_user(request),
        )
    except (PortalError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Role removed.")
    return redirect("frontend:admin-home")


@admin_required
@require_POST
def signing_key_create(request: HttpRequest) -> HttpResponse:
    keyring = portal_keyring()
    if keyring.fingerprint():
        messages.info(request, "The portal already has a signing key.")
    else:
        fingerprint = keyring.ensure_key(
            name=settings.PORTAL_SIGNING_KEY_NAME, email=settings.PORTAL_SIGNING_KEY_EMAIL
        )
        messages.success(request, f"Signing key {fingerprint} created.")
    return redirect("frontend:admin-home")


@admin_required
def dashboard(request: HttpRequest) -> HttpResponse:
    data = build_dashboard(viewer=current_user(request))
    return render(request, "frontend/admin/dashboard.html", {"d": data})
