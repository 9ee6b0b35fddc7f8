"""Developer pages: submit a plugin, my submissions, one submission, resubmit, withdraw."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from certification.services.nightly import PULLED_STATES, nightly_request_now
from certification.services.submissions import (
    SourceInput,
    submission_create,
    submission_resubmit,
)
from certification.services.transitions import submission_withdraw
from certification.workflow import TERMINAL_STATES, Status
from common.errors import PortalError
from frontend import pipeline, uploads
from frontend.access import current_user
from frontend.forms_developer import (
    ResubmitForm,
    SubmissionForm,
    WithdrawForm,
    errors_to_form,
)

FILE_FIELDS = ("bundle", "source_archive")


def _source(cleaned: dict[str, Any]) -> SourceInput:
    archive: UploadedFile | None = cleaned.get("source_archive")
    if archive is not None:
        return SourceInput(archive=archive.read(), filename=archive.name or "source.tar.gz")
    git_url = (cleaned.get("git_url") or "").strip()
    return SourceInput(git_url=git_url, git_ref=(cleaned.get("git_ref") or "").strip())


@login_required
def submission_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    submissions = list(pipeline.submission_list_for_owner(owner=user))
    return render(request, "frontend/developer/list.html", {"submissions": submissions})


@login_required
@require_http_methods(["GET", "POST"])
def submission_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    files = uploads.merge_files(request, FILE_FIELDS) if request.method == "POST" else None
    form = SubmissionForm(request.POST or None, files)
    kept: dict[str, dict[str, str]] = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            submission = submission_create(
                owner=user,
                name=data["name"],
                repository_url=data["repository_url"],
                nightly_url=data["nightly_url"],
                licence=data["licence"],
                bundle=data["bundle"],
                source=_source(data),
                note=data["note"],
            )
        except PortalError as exc:
            errors_to_form(form, exc)
        else:
            uploads.discard_all(request)
            messages.success(
                request,
                f"Thank you! {submission.name} {submission.version} is submitted. "
                "Follow its review here.",
            )
            return redirect("frontend:submission-detail", pk=submission.pk)
    if form.is_bound and files is not None:
        kept = uploads.keep_valid(request, form, files, FILE_FIELDS)
    status = 400 if form.is_bound else 200
    context = {"form": form, "kept": kept}
    return render(request, "frontend/developer/new.html", context, status=status)


def _visible(request: HttpRequest, pk: int) -> Any:
    user = current_user(request)
    submission = pipeline.submission_visible(submission_id=pk, user=user)
    # Someone else's submission is "not found", so its existence is not revealed either.
    if submission is None:
        raise Http404("No such submission.")
    return submission


def _detail_context(request: HttpRequest, submission: Any) -> dict[str, Any]:
    context = pipeline.submission_details(submission)
    user = current_user(request)
    is_owner = submission.owner_id == user.pk
    pid = submission.plugin_id
    context.update(
        {
            "is_owner": is_owner,
            "can_resubmit": is_owner and submission.status == Status.CHANGES_REQUESTED,
            "can_withdraw": is_owner and submission.status not in TERMINAL_STATES,
            "can_pull": is_owner and submission.status in PULLED_STATES,
            "test_servers": [
                (host, purpose, reverse("frontend:test-server-plugin", args=[host, pid]))
                for host, purpose in (
                    ("ci-extensions", "nightly builds"),
                    ("ci-extensions-release", "release tests (QA, PM/UX)"),
                )
            ],
        }
    )
    context.setdefault("resubmit_form", ResubmitForm())
    context.setdefault("withdraw_form", WithdrawForm())
    return context


@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible(request, pk)
    return render(request, "frontend/developer/detail.html", _detail_context(request, submission))


@login_required
@require_POST
def submission_resubmit_view(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible(request, pk)
    user = current_user(request)
    if submission.owner_id != user.pk:
        raise Http404("No such submission.")
    # Same kept-file round trip as the submit form: a file that passed its checks survives an
    # error elsewhere (browsers never refill a file input).
    files = uploads.merge_files(request, FILE_FIELDS)
    form = ResubmitForm(request.POST, files)
    if form.is_valid():
        data = form.cleaned_data
        source = _source(data)
        try:
            submission_resubmit(
                submission_id=submission.pk,
                actor=user,
                bundle=data["bundle"],
                source=source if source.given else None,
                note=data["note"],
            )
        except PortalError as exc:
            errors_to_form(form, exc)
        else:
            uploads.discard_all(request)
            messages.success(request, "Your changes are sent back to the reviewers.")
            return redirect("frontend:submission-detail", pk=submission.pk)
    kept = uploads.keep_valid(request, form, files, FILE_FIELDS)
    context = _detail_context(request, submission)
    context.update({"resubmit_form": form, "resubmit_kept": kept})
    return render(request, "frontend/developer/detail.html", context, status=400)


@login_required
@require_POST
def submission_pull_nightly(request: HttpRequest, pk: int) -> HttpResponse:
    """The developer asks for a nightly pull now (e.g. after fixing the build)."""
    submission = _visible(request, pk)
    user = current_user(request)
    if submission.owner_id != user.pk:
        raise Http404("No such submission.")
    try:
        build = nightly_request_now(submission_id=submission.pk, actor=user)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Nightly build pull: {build.get_status_display().lower()}.")
    return redirect("frontend:submission-detail", pk=submission.pk)


@login_required
@require_POST
def submission_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible(request, pk)
    user = current_user(request)
    if submission.owner_id != user.pk:
        raise Http404("No such submission.")
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            submission_withdraw(submission_id=submission.pk, actor=user)
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The submission is withdrawn.")
            return redirect("frontend:submission-detail", pk=submission.pk)
    context = _detail_context(request, submission)
    context["withdraw_form"] = form
    return render(request, "frontend/developer/detail.html", context, status=400)
