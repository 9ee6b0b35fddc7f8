"""Reviewer pages: the queue per group, the review page with its decision form, my reviews."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from certification import selectors as cert
from certification.services.nightly import nightly_request_now
from certification.services.scans import finding_waive
from certification.services.transitions import (
    can_act_in_stage,
    stage_approve,
    stage_reject,
    stage_request_changes,
)
from certification.workflow import CHECKLISTS, Status
from common import roles
from common.errors import NotFound, PortalError
from frontend import pipeline
from frontend.access import current_user, reviewer_required
from frontend.forms_developer import errors_to_form
from frontend.forms_review import DecisionForm, WaiveForm


@reviewer_required
def review_queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    queues = pipeline.review_queues(user=user)
    return render(
        request, "frontend/reviewer/queue.html", {"queues": queues, "now": timezone.now()}
    )


def _submission(request: HttpRequest, pk: int) -> Any:
    try:
        return cert.submission_get(viewer=current_user(request), submission_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _review_context(request: HttpRequest, submission: Any, form: DecisionForm | None) -> dict:
    user = current_user(request)
    context = pipeline.submission_details(submission)
    stage = submission.status
    is_owner = submission.owner_id == user.pk
    can_act = (not is_owner) and can_act_in_stage(user, stage) and stage in pipeline.REVIEW_STAGES
    as_security = stage == Status.RELEASE_REVIEW and roles.SECURITY_REVIEWERS in roles.user_groups(
        user
    )
    if can_act and form is None:
        form = DecisionForm(stage=stage, as_security=as_security)
    already = any(
        r.reviewer_id == user.pk and r.stage == stage and r.decision == "approve"
        for r in context["approvals"]
    )
    context.update(
        {
            "is_owner": is_owner,
            "can_act": can_act,
            "has_checklist": stage in CHECKLISTS,
            "already_approved": already,
            "form": form,
            "as_security": as_security,
            "can_waive": not is_owner
            and (
                roles.SECURITY_REVIEWERS in roles.user_groups(user) or roles.is_portal_admin(user)
            ),
            "can_pull": not is_owner and stage == Status.CI_SETUP and can_act_in_stage(user, stage),
            "code": cert.basic_review(submission=submission),
            "requirements": cert.stage_requirements(submission=submission),
            "waive_form": WaiveForm(),
        }
    )
    return context


@reviewer_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    return render(
        request, "frontend/reviewer/detail.html", _review_context(request, submission, None)
    )


@reviewer_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    submission = _submission(request, pk)
    stage = submission.status
    as_security = stage == Status.RELEASE_REVIEW and roles.SECURITY_REVIEWERS in roles.user_groups(
        user
    )
    form = DecisionForm(request.POST, stage=stage, as_security=as_security)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                stage_approve(
                    submission_id=pk, actor=user, checklist=form.checklist(), text=data["text"]
                )
                # The label as written: lower-casing it mangled "QA pass", "PM/UX pass", "CI setup".
                done = f"You approved the {Status(stage).label} of {submission.name}."
            elif data["decision"] == "changes":
                stage_request_changes(
                    submission_id=pk,
                    actor=user,
                    reason_code=data["reason_code"],
                    text=data["text"],
                )
                done = "Changes were requested from the developer."
            else:
                stage_reject(
                    submission_id=pk,
                    actor=user,
                    reason_code=data["reason_code"],
                    text=data["text"],
                )
                done = "The submission was rejected."
        except PortalError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, done)
            return redirect("frontend:review-queue")
    context = _review_context(request, submission, form)
    return render(request, "frontend/reviewer/detail.html", context, status=400)


@reviewer_required
@require_POST
def finding_waive_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        finding = cert.finding_get(viewer=user, finding_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = WaiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a justification to waive a finding.")
    else:
        try:
            finding_waive(
                finding_id=pk, actor=user, justification=form.cleaned_data["justification"]
            )
        except PortalError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Finding {finding.rule_id} waived.")
    return redirect("frontend:review-detail", pk=finding.submission_id)


@reviewer_required
@require_POST
def nightly_pull(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    submission = _submission(request, pk)
    try:
        nightly_request_now(submission_id=submission.pk, actor=user)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "A nightly build pull is queued.")
    return redirect("frontend:review-detail", pk=submission.pk)


@reviewer_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    submissions = (
        cert.submission_list(viewer=user)
        .filter(reviews__reviewer=user)
        .distinct()
        .prefetch_related(Prefetch("reviews"))
    )
    rows = []
    for submission in submissions:
        for review in submission.reviews.all():
            if review.reviewer_id == user.pk:
                rows.append((submission, review))
    rows.sort(key=lambda row: row[1].created_at, reverse=True)
    return render(request, "frontend/reviewer/mine.html", {"rows": rows})
