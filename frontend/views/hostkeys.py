"""Admin page for the OpenPGP keys a host server trusts: list, add, remove, trust the portal's.

Mattermost has no REST endpoint for plugin signing keys (they are managed with ``mmctl plugin
keys`` on the server itself), so unlike the plugin pages this one calls the host-server app's
services directly; no host session is needed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import Conflict, InvalidInput, NotFound, PortalError
from common.signing import key_fingerprint, portal_keyring
from frontend.access import admin_required
from hostserver import selectors as host_selectors
from hostserver import services as host_services

PORTAL_KEY_NAME = "portal"
MAX_ARMORED_CHARS = 256 * 1024


class TrustedKeyForm(forms.Form):
    name = forms.CharField(
        label="Key name",
        max_length=128,
        help_text="How this key is listed, e.g. the team or build system that signs with it.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "acme-ci"}),
    )
    armored = forms.CharField(
        label="Armored public key",
        strip=False,
        max_length=MAX_ARMORED_CHARS,
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "class": "mono",
                "spellcheck": "false",
                "placeholder": "-----BEGIN PGP PUBLIC KEY BLOCK-----",
            }
        ),
        help_text="One OpenPGP public key, as printed by <code>gpg --armor --export KEY</code>.",
    )


def _host_or_404(name: str) -> Any:
    host = host_selectors.host_get(name=name)
    if host is None:
        raise Http404("No such host server.")
    return host


def _portal_key() -> tuple[str, str]:
    """The portal's fingerprint and armored public key, or ("", "") while it has none."""
    keyring = portal_keyring()
    fingerprint = keyring.fingerprint()
    if not fingerprint:
        return "", ""
    return fingerprint, keyring.export_public()


def _page(request: HttpRequest, host: Any, form: TrustedKeyForm, status: int = 200) -> HttpResponse:
    keys = list(host_selectors.trusted_key_list(host=host))
    portal_fingerprint, _ = _portal_key()
    context = {
        "host": host,
        "keys": keys,
        "form": form,
        "portal_fingerprint": portal_fingerprint,
        "portal_trusted": any(k.fingerprint == portal_fingerprint for k in keys),
    }
    return render(request, "frontend/hosts/keys.html", context, status=status)


def _conflict_error(form: TrustedKeyForm, host: Any, name: str, armored: str) -> None:
    """Put a duplicate on the field it concerns: the name, or the key itself."""
    keys = list(host_selectors.trusted_key_list(host=host))
    if any(k.name == name for k in keys):
        form.add_error(
            "name", f"{host.name} already trusts a key named “{name}”. Choose another name."
        )
        return
    try:
        fingerprint = key_fingerprint(armored)
    except InvalidInput:
        fingerprint = ""
    same = next((k for k in keys if k.fingerprint == fingerprint), None)
    listed = f" as “{same.name}”" if same is not None else ""
    form.add_error("armored", f"{host.name} already trusts this key{listed}.")


@admin_required
@require_http_methods(["GET", "POST"])
def host_keys(request: HttpRequest, name: str) -> HttpResponse:
    host = _host_or_404(name)
    form = TrustedKeyForm(request.POST or None)
    if request.method != "POST":
        return _page(request, host, form)
    if form.is_valid():
        key_name, armored = form.cleaned_data["name"].strip(), form.cleaned_data["armored"]
        try:
            key = host_services.trusted_key_add(host=host, armored=armored, name=key_name)
        except Conflict:
            _conflict_error(form, host, key_name, armored)
        except InvalidInput as exc:
            field = "name" if "name" in exc.message else "armored"
            form.add_error(field, _sentence(exc.message))
        else:
            messages.success(request, f"{host.name} now trusts “{key.name}” ({key.fingerprint}).")
            return redirect("frontend:host-keys", name=host.name)
    return _page(request, host, form, status=400)


@admin_required
@require_POST
def host_key_remove(request: HttpRequest, name: str) -> HttpResponse:
    host = _host_or_404(name)
    key_name = request.POST.get("key_name", "")
    try:
        host_services.trusted_key_remove(host=host, name=key_name)
    except NotFound:
        messages.error(request, f"{host.name} has no trusted key named “{key_name}”.")
    else:
        messages.success(request, f"{host.name} no longer trusts “{key_name}”.")
    return redirect("frontend:host-keys", name=host.name)


@admin_required
@require_POST
def host_key_trust_portal(request: HttpRequest, name: str) -> HttpResponse:
    """One click to trust the portal's own signing key on this host."""
    host = _host_or_404(name)
    fingerprint, armored = _portal_key()
    if not fingerprint:
        messages.error(request, "The portal has no signing key yet: create it on Administration.")
        return redirect("frontend:host-keys", name=host.name)
    # "portal" may already name another key (e.g. the portal's previous key): fall back to a
    # name that carries the fingerprint, so both stay listed.
    names = [PORTAL_KEY_NAME, f"{PORTAL_KEY_NAME}-{fingerprint[-16:].lower()}"]
    for key_name in names:
        try:
            host_services.trusted_key_add(host=host, armored=armored, name=key_name)
        except Conflict:
            if any(
                k.fingerprint == fingerprint for k in host_selectors.trusted_key_list(host=host)
            ):
                messages.info(request, f"{host.name} already trusts the portal's key.")
                break
            continue
        except PortalError as exc:
            messages.error(request, _sentence(exc.message))
            break
        messages.success(request, f"{host.name} now trusts the portal's key as “{key_name}”.")
        break
    else:
        messages.error(request, f"Keys named {' and '.join(names)} exist already on {host.name}.")
    return redirect("frontend:host-keys", name=host.name)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
