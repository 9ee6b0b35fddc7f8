"""Marketplace pages for visitors: the catalog with search and filters, and a plugin's page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from common.errors import NotFound
from common.signing import portal_keyring
from common.versions import is_valid_version
from frontend import selectors

PAGE_SIZE = 24


class CatalogFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    author_type = forms.ChoiceField(
        required=False,
        label="Author",
        choices=[
            ("", "Any author"),
            ("mattermost", "Mattermost"),
            ("partner", "Partner"),
            ("community", "Community"),
        ],
    )
    release_stage = forms.ChoiceField(
        required=False,
        label="Release stage",
        choices=[
            ("", "Any stage"),
            ("production", "Production"),
            ("beta", "Beta"),
            ("experimental", "Experimental"),
        ],
    )
    label = forms.ChoiceField(required=False, label="Label")
    server_version = forms.CharField(
        required=False,
        max_length=40,
        label="Works with Mattermost",
        widget=forms.TextInput(attrs={"placeholder": "e.g. 10.5.0", "inputmode": "decimal"}),
        help_text="Your server's version: shows plugins with a release that supports it.",
    )
    certified = forms.BooleanField(required=False, label="Certified only")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label_field = self.fields["label"]
        assert isinstance(label_field, forms.ChoiceField)
        label_field.choices = [("", "Any label")] + [(n, n) for n in selectors.label_names()]

    def clean_server_version(self) -> str:
        value: str = self.cleaned_data["server_version"].strip().lstrip("vV")
        if value and not is_valid_version(value):
            raise forms.ValidationError(
                "Write a version like 10.5.0 (major.minor.patch). This filter was not applied."
            )
        return value


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    form = CatalogFilterForm(request.GET)
    form.is_valid()  # bad values are shown next to their field and ignored
    data = {key: form.cleaned_data.get(key) for key in CatalogFilterForm.base_fields}
    filters = selectors.CatalogFilters(
        q=data["q"] or "",
        author_type=data["author_type"] or "",
        release_stage=data["release_stage"] or "",
        label=data["label"] or "",
        certified=bool(data["certified"]),
        server_version=data["server_version"] or "",
    )
    plugins = selectors.catalog_search(filters=filters)
    page = Paginator(plugins, PAGE_SIZE).get_page(request.GET.get("page"))
    carried = [
        (key, request.GET.getlist(key))
        for key in CatalogFilterForm.base_fields
        if key != "q" and request.GET.get(key)
    ]
    return render(
        request,
        "frontend/catalog/home.html",
        {
            "form": form,
            "page": page,
            "carried": carried,
            "filtered": any(request.GET.get(k) for k in CatalogFilterForm.base_fields),
        },
    )


@require_GET
def plugin_detail(request: HttpRequest, plugin_id: str) -> HttpResponse:
    try:
        plugin, releases, certified = selectors.plugin_page(plugin_id=plugin_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "frontend/catalog/plugin_detail.html",
        {
            "plugin": plugin,
            "releases": releases,
            "latest": plugin.latest_release,
            "certified_release": certified,
            "marketplace_url": settings.PORTAL_BASE_URL,
        },
    )


@require_GET
def signing_key(request: HttpRequest) -> HttpResponse:
    """The portal's armored public key, to verify release signatures with gpg."""
    keyring = portal_keyring()
    if keyring.fingerprint() is None:
        raise Http404("The portal has no signing key yet.")
    response = HttpResponse(keyring.export_public(), content_type="application/pgp-keys")
    response["Content-Disposition"] = 'inline; filename="portal-key.asc"'
    return response
