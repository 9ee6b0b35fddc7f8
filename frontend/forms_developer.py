"""Forms of the developer pages: submit a plugin, respond to requested changes, withdraw.

The form checks shape (required fields, URL syntax, file names and sizes) so that most mistakes are
shown at once next to their field; the certification services then check everything again and
their refusals are mapped back onto the field they concern (``errors_to_form``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from certification import licences
from common.errors import BundleRejected, PortalError

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
BUNDLE_EXTENSIONS = (".tar.gz", ".tgz")
SOURCE_EXTENSIONS = (".tar.gz", ".tgz", ".zip")


def licence_choices() -> list[tuple[str, Any]]:
    recommended = [
        (lic.spdx_id, f"{lic.name} ({lic.spdx_id})")
        for lic in licences.LICENCES.values()
        if lic.recommended
    ]
    others = [
        (lic.spdx_id, f"{lic.name} ({lic.spdx_id})")
        for lic in licences.LICENCES.values()
        if not lic.recommended
    ]
    return [
        ("", "Choose a licence…"),
        ("Recommended for the community server", recommended),
        ("Also accepted", others),
    ]


def _file_widget(extensions: tuple[str, ...]) -> forms.FileInput:
    return forms.FileInput(
        attrs={
            "accept": ",".join(extensions),
            "data-extensions": ",".join(extensions),
            "data-max-bytes": str(MAX_UPLOAD_BYTES),
        }
    )


def _check_file(upload: UploadedFile | None, extensions: tuple[str, ...], what: str) -> None:
    if upload is None:
        return
    name = (upload.name or "").lower()
    if not name.endswith(extensions):
        raise forms.ValidationError(
            f"The {what} must be a {' or '.join(extensions)} file; “{upload.name}” is not."
        )
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(
            f"The {what} is {upload.size // (1024 * 1024)} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        )
    if upload.size == 0:
        raise forms.ValidationError(f"The {what} file is empty.")


class SourceFieldsMixin(forms.Form):
    source_archive = forms.FileField(
        label="Source archive",
        required=False,
        widget=_file_widget(SOURCE_EXTENSIONS),
        help_text="The plugin's source code as .tar.gz or .zip (up to 100 MB), "
        "or give a git repository below instead.",
    )
    git_url = forms.CharField(
        label="…or git repository to clone",
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://github.com/you/your-plugin.git"}),
    )
    git_ref = forms.CharField(
        label="Git branch, tag or commit",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "main"}),
    )

    def clean_source_archive(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("source_archive")
        _check_file(upload, SOURCE_EXTENSIONS, "source archive")
        return upload


class SubmissionForm(SourceFieldsMixin):
    field_order = [
        "repository_url",
        "nightly_url",
        "licence",
        "bundle",
        "source_archive",
        "git_url",
        "git_ref",
        "name",
        "note",
    ]
    repository_url = forms.URLField(
        label="Plugin repository URL",
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://github.com/you/your-plugin"}),
        help_text="Where reviewers read the code and file issues.",
    )
    nightly_url = forms.URLField(
        label="Nightly master build URL",
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(
            attrs={"placeholder": "https://example.com/builds/your-plugin-latest.tar.gz"}
        ),
        help_text="A URL that always serves your latest master build (.tar.gz). The portal pulls "
        "it every night and deploys it to the ci-extensions test server.",
    )
    licence = forms.ChoiceField(
        label="Licence",
        choices=licence_choices,
        help_text="The SPDX id of the licence in your repository's LICENSE file.",
    )
    bundle = forms.FileField(
        label="Plugin bundle",
        widget=_file_widget(BUNDLE_EXTENSIONS),
        help_text="The built plugin (.tar.gz with plugin.json), as you would upload it to "
        "Mattermost. Its id and version come from the manifest.",
    )
    name = forms.CharField(
        label="Display name",
        required=False,
        max_length=200,
        help_text="Leave empty to use the name in the plugin's manifest.",
    )
    note = forms.CharField(
        label="Note for the reviewers",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_bundle(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("bundle")
        _check_file(upload, BUNDLE_EXTENSIONS, "bundle")
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _check_source_choice(self, cleaned, required=True)
        return cleaned


class ResubmitForm(SourceFieldsMixin):
    bundle = forms.FileField(
        label="New plugin bundle",
        required=False,
        widget=_file_widget(BUNDLE_EXTENSIONS),
        help_text="Optional: a rebuilt .tar.gz with the same plugin id.",
    )
    note = forms.CharField(
        label="What did you change?",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Tell the reviewers how you addressed their request.",
    )
    field_order = ["bundle", "source_archive", "git_url", "git_ref", "note"]

    def clean_bundle(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("bundle")
        _check_file(upload, BUNDLE_EXTENSIONS, "bundle")
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _check_source_choice(self, cleaned, required=False)
        if not self.errors and not (
            cleaned.get("bundle") or cleaned.get("source_archive") or cleaned.get("git_url")
        ):
            raise forms.ValidationError(
                "Send a new bundle, a new source, or both: there is nothing new to review."
            )
        return cleaned


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, withdraw this submission. Reviews stop and it cannot be resumed.",
    )


def _check_source_choice(form: forms.Form, cleaned: dict[str, Any], *, required: bool) -> None:
    archive, git_url = cleaned.get("source_archive"), (cleaned.get("git_url") or "").strip()
    if archive and git_url:
        form.add_error("git_url", "Give either a source archive or a git repository, not both.")
    elif required and not archive and not git_url and "source_archive" not in form.errors:
        form.add_error(
            "source_archive",
            "The plugin's source is required: upload an archive or give a git repository.",
        )
    if git_url and not (cleaned.get("git_ref") or "").strip():
        form.add_error("git_ref", "Say which branch, tag or commit to review (e.g. main).")


# Which form field a service refusal concerns, judged from its type and wording.
_FIELD_HINTS = (
    ("nightly", "nightly_url"),
    ("repository url", "repository_url"),
    ("licence", "licence"),
    ("git ref", "git_ref"),
    ("ref ", "git_ref"),
    ("git url", "git_url"),
    ("clone", "git_url"),
    ("source", "source_archive"),
    ("archive", "source_archive"),
    ("bundle", "bundle"),
    ("manifest", "bundle"),
    ("plugin id", "bundle"),
    ("version", "bundle"),
)


def errors_to_form(form: forms.Form, exc: PortalError) -> None:
    """Show a service's refusal next to the field it concerns, in the service's words."""
    if isinstance(exc, BundleRejected):
        form.add_error("bundle", f"The bundle was refused ({exc.check}): {exc.reason}")
        return
    text = exc.message
    lowered = text.lower()
    for hint, field in _FIELD_HINTS:
        if hint in lowered and field in form.fields:
            form.add_error(field, text[:1].upper() + text[1:])
            return
    form.add_error(None, text[:1].upper() + text[1:])
