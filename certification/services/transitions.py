"""One service per workflow transition.

Every move goes through :func:`_move`, which locks the submission row, checks the move against
``workflow.TRANSITIONS``, writes status, message and time, appends an :class:`AuditEvent` and
queues the follow-up work (notifications, stage entry tasks) in the outbox, all in the caller's
transaction. The public functions add the role, ownership, checklist and reason checks.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from certification import workflow
from certification.models import (
    AuditEvent,
    Deployment,
    DeploymentPurpose,
    JobStatus,
    Review,
    ScanRun,
    SourceStatus,
    Submission,
)
from certification.services import outbox
from certification.workflow import Action, Decision, Reason, Status
from common import roles
from common.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound

STAGE_MESSAGES: dict[str, str] = {
    Status.SUBMITTED: "Received; the source is being checked.",
    Status.BASIC_REVIEW: "Waiting for a core committer's basic review.",
    Status.CI_SETUP: "Waiting for a green nightly build on ci-extensions.",
    Status.RELEASE_REVIEW: "Security scans and two reviewers (one security reviewer).",
    Status.QA: "Waiting for a QA pass on ci-extensions-release.",
    Status.PM_UX: "Waiting for a PM/UX pass.",
    Status.CERTIFIED: "Certified: published in the catalog and installed on community.",
    Status.CHANGES_REQUESTED: "Changes requested; resubmit to continue.",
    Status.REJECTED: "Rejected.",
    Status.WITHDRAWN: "Withdrawn.",
}


def lock_submission(submission_id: int) -> Submission:
    try:
        return Submission.objects.select_for_update().get(pk=submission_id)
    except Submission.DoesNotExist as exc:
        raise NotFound(f"submission {submission_id} does not exist") from exc


def _move(
    submission: Submission,
    *,
    action: str,
    actor: User | None,
    to: str | None = None,
    message: str = "",
    reason_code: str = "",
    reason_text: str = "",
    evidence: dict[str, Any] | None = None,
) -> AuditEvent:
    """Apply ``action`` to a submission already locked by the caller."""
    current = submission.status
    if not workflow.allowed(action, current):
        raise InvalidTransition(
            f"cannot {Action(action).label.lower()} a submission that is "
            f"{Status(current).label.lower()}"
        )
    target = to or workflow.target_of(action, current)
    if target is None:
        raise InvalidTransition(f"{action} from {current} needs an explicit target")
    submission.status = target
    submission.status_message = message or STAGE_MESSAGES[target]
    submission.status_changed_at = timezone.now()
    fields = ["status", "status_message", "status_changed_at", "return_stage", "updated_at"]
    if target == Status.CHANGES_REQUESTED:
        submission.return_stage = current
    elif target not in workflow.TERMINAL_STATES:
        submission.return_stage = ""
    if target == Status.CERTIFIED:
        submission.certified_at = submission.status_changed_at
        fields.append("certified_at")
    submission.save(update_fields=fields)
    event = record_event(
        submission,
        action=action,
        actor=actor,
        from_status=current,
        to_status=target,
        reason_code=reason_code,
        reason_text=reason_text,
        evidence=evidence,
    )
    _on_enter(submission, target)
    return event


def record_event(
    submission: Submission,
    *,
    action: str,
    actor: User | None,
    from_status: str,
    to_status: str,
    reason_code: str = "",
    reason_text: str = "",
    evidence: dict[str, Any] | None = None,
    notify: bool = True,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        submission=submission,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason_code=reason_code,
        reason_text=reason_text,
        evidence=evidence or {},
    )
    if notify:
        outbox.enqueue("certification.tasks.notify_event_task", event_id=event.pk)
    return event


def _on_enter(submission: Submission, stage: str) -> None:
    """Queue the automatic work of the stage just entered (runs after commit)."""
    revision = submission.current_revision
    if stage == Status.CI_SETUP:
        from certification.services.nightly import nightly_request

        nightly_request(submission=submission, trigger="stage", actor=None)
    elif stage == Status.RELEASE_REVIEW:
        if revision is not None and revision.source_status == SourceStatus.READY:
            from certification.services.scans import scans_start

            scans_start(submission=submission)
    elif stage == Status.QA and revision is not None:
        deployment_request(submission=submission, purpose=DeploymentPurpose.RELEASE)
    elif stage == Status.CERTIFIED and revision is not None:
        deployment_request(submission=submission, purpose=DeploymentPurpose.COMMUNITY)


def deployment_request(*, submission: Submission, purpose: str) -> Deployment:
    """Create (once per revision and purpose) a deployment row and queue its task."""
    from certification.services.deployments import HOST_FOR_PURPOSE

    revision = submission.current_revision
    assert revision is not None
    deployment, created = Deployment.objects.get_or_create(
        revision=revision,
        purpose=purpose,
        defaults={"submission": submission, "host": HOST_FOR_PURPOSE[DeploymentPurpose(purpose)]},
    )
    if not created and deployment.status == JobStatus.FAILED:
        # A new approval after a failed deployment tries again.
        deployment.status = JobStatus.QUEUED
        deployment.message = ""
        deployment.save(update_fields=["status", "message"])
        created = True
    if created:
        outbox.enqueue("certification.tasks.deploy_task", deployment_id=deployment.pk)
    return deployment


# --- role checks ---------------------------------------------------------------------------


def can_act_in_stage(user: User, stage: str) -> bool:
    if roles.is_portal_admin(user):
        return True
    return bool(roles.user_groups(user) & workflow.STAGE_ROLES.get(stage, frozenset()))


def _require_reviewer(submission: Submission, actor: User) -> None:
    if not actor.is_authenticated or not actor.is_active:
        raise NotAllowed("sign in to review")
    if submission.owner_id == actor.pk:
        raise NotAllowed("nobody signs off a stage of their own submission")
    if not can_act_in_stage(actor, submission.status):
        raise NotAllowed(
            f"only {', '.join(sorted(workflow.STAGE_ROLES.get(submission.status, ())))} "
            f"may act in {Status(submission.status).label}"
        )


def _check_checklist(
    stage: str, checklist: dict[str, Any], *, as_security: bool
) -> dict[str, bool]:
    items = workflow.checklist_for(stage, as_security=as_security)
    keys = {i.key for i in items}
    unknown = set(checklist) - keys
    if unknown:
        raise InvalidInput(f"unknown checklist items: {', '.join(sorted(unknown))}")
    missing = [i.text for i in items if checklist.get(i.key) is not True]
    if missing:
        raise InvalidInput("tick every checklist item to approve; open: " + "; ".join(missing))
    return dict.fromkeys(keys, True)


def _check_reason(reason_code: str, text: str) -> None:
    if reason_code not in Reason.values:
        raise InvalidInput(f"reason must be one of {', '.join(Reason.values)}, not {reason_code!r}")
    if not text or not text.strip():
        raise InvalidInput("explain the reason in a few words")


# --- system transitions ------------------------------------------------------------------


@transaction.atomic
def submission_start_review(*, submission_id: int) -> Submission:
    """Intake done (source ready, checks passed): the basic review can start."""
    submission = lock_submission(submission_id)
    if submission.status != Status.SUBMITTED:
        return submission  # already moved on: the task ran twice
    _move(submission, action=Action.START_REVIEW, actor=None)
    return submission


@transaction.atomic
def submission_fail_intake(*, submission_id: int, reason: str) -> Submission:
    submission = lock_submission(submission_id)
    if submission.status != Status.SUBMITTED:
        return submission
    _move(
        submission,
        action=Action.FAIL_INTAKE,
        actor=None,
        message=f"The source could not be read: {reason}",
        reason_code=Reason.BUILD,
        reason_text=reason,
    )
    return submission


@transaction.atomic
def ci_pass(*, submission_id: int, build_id: int) -> Submission:
    """The first green nightly build moves CI setup on to the release review."""
    submission = lock_submission(submission_id)
    if submission.status != Status.CI_SETUP:
        return submission
    _move(
        submission,
        action=Action.PASS_CI,
        actor=None,
        evidence={"nightly_build": build_id},
    )
    return submission


# --- reviewer transitions ------------------------------------------------------------------


@transaction.atomic
def stage_approve(
    *,
    submission_id: int,
    actor: User,
    checklist: dict[str, Any],
    text: str = "",
) -> Submission:
    """Sign off the current stage. Release review moves on at its second qualifying approval."""
    submission = lock_submission(submission_id)
    if not workflow.allowed(Action.APPROVE, submission.status):
        raise InvalidTransition(f"nothing to approve while {Status(submission.status).label}")
    _require_reviewer(submission, actor)
    stage = submission.status
    as_security = stage == Status.RELEASE_REVIEW and (
        roles.SECURITY_REVIEWERS in roles.user_groups(actor)
    )
    ticked = _check_checklist(stage, checklist, as_security=as_security)
    revision = submission.current_revision
    assert revision is not None
    if stage == Status.RELEASE_REVIEW:
        _require_scans_clear(submission)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                submission=submission,
                revision=revision,
                stage=stage,
                reviewer=actor,
                decision=Decision.APPROVE,
                as_security=as_security,
                checklist=ticked,
                text=text,
            )
    except IntegrityError as exc:
        raise Conflict("you already approved this stage for this revision") from exc
    evidence: dict[str, Any] = {"review": review.pk, "revision": revision.number}
    if stage == Status.RELEASE_REVIEW:
        approvals = list(
            Review.objects.filter(
                revision=revision, stage=stage, decision=Decision.APPROVE
            ).values_list("reviewer_id", "as_security")
        )
        enough = len({r for r, _ in approvals}) >= workflow.RELEASE_REVIEW_APPROVALS
        if not (enough and any(sec for _, sec in approvals)):
            need = "a security reviewer's approval" if enough else "a second approval"
            submission.status_message = f"Approved by {len(approvals)}; waiting for {need}."
            submission.save(update_fields=["status_message", "updated_at"])
            record_event(
                submission,
                action=Action.RECORD_APPROVAL,
                actor=actor,
                from_status=stage,
                to_status=stage,
                reason_text=text,
                evidence=evidence,
            )
            return submission
        evidence["approvers"] = [r for r, _ in approvals]
    if stage == Status.BASIC_REVIEW:
        submission.basic_reviewer = actor
        submission.save(update_fields=["basic_reviewer", "updated_at"])
    if stage == Status.PM_UX:
        from certification.services.publishing import publish_certified

        evidence["release"] = publish_certified(submission=submission, actor=actor)
    _move(submission, action=Action.APPROVE, actor=actor, reason_text=text, evidence=evidence)
    return submission


def _require_scans_clear(submission: Submission) -> None:
    revision = submission.current_revision
    scans = list(ScanRun.objects.filter(revision=revision))
    if not scans:
        raise Conflict("the security scans have not started yet")
    pending = [s.tool for s in scans if s.status in (JobStatus.QUEUED, JobStatus.RUNNING)]
    if pending:
        raise Conflict(f"scans still running: {', '.join(sorted(pending))}")
    failed = [s.tool for s in scans if s.status == JobStatus.FAILED]
    if failed:
        raise Conflict(f"scans failed and must be re-run: {', '.join(sorted(failed))}")
    open_blockers = submission.findings.filter(
        scan__revision=revision, blocking=True, waived_at__isnull=True
    ).count()
    if open_blockers:
        raise Conflict(
            f"{open_blockers} blocking finding(s) must be fixed or waived by a security reviewer"
        )


def _review_decision(
    *,
    submission_id: int,
    actor: User,
    decision: str,
    action: str,
    reason_code: str,
    text: str,
) -> Submission:
    submission = lock_submission(submission_id)
    if not workflow.allowed(action, submission.status):
        raise InvalidTransition(
            f"cannot {Action(action).label.lower()} while {Status(submission.status).label}"
        )
    _require_reviewer(submission, actor)
    _check_reason(reason_code, text)
    revision = submission.current_revision
    assert revision is not None
    review = Review.objects.create(
        submission=submission,
        revision=revision,
        stage=submission.status,
        reviewer=actor,
        decision=decision,
        as_security=roles.SECURITY_REVIEWERS in roles.user_groups(actor),
        reason_code=reason_code,
        text=text.strip(),
    )
    label = Reason(reason_code).label
    _move(
        submission,
        action=action,
        actor=actor,
        message=f"{label}: {text.strip()}",
        reason_code=reason_code,
        reason_text=text.strip(),
        evidence={"review": review.pk, "revision": revision.number},
    )
    return submission


@transaction.atomic
def stage_request_changes(
    *, submission_id: int, actor: User, reason_code: str, text: str
) -> Submission:
    """Send the submission back to its developer; a resubmission returns to this stage."""
    return _review_decision(
        submission_id=submission_id,
        actor=actor,
        decision=Decision.CHANGES,
        action=Action.REQUEST_CHANGES,
        reason_code=reason_code,
        text=text,
    )


@transaction.atomic
def stage_reject(*, submission_id: int, actor: User, reason_code: str, text: str) -> Submission:
    return _review_decision(
        submission_id=submission_id,
        actor=actor,
        decision=Decision.REJECT,
        action=Action.REJECT,
        reason_code=reason_code,
        text=text,
    )


@transaction.atomic
def submission_withdraw(*, submission_id: int, actor: User, text: str = "") -> Submission:
    """The developer (or a portal admin) withdraws a submission that is still in flight."""
    submission = lock_submission(submission_id)
    if submission.owner_id != actor.pk and not roles.is_portal_admin(actor):
        raise NotAllowed("only the developer who submitted it or a portal admin may withdraw")
    _move(
        submission,
        action=Action.WITHDRAW,
        actor=actor,
        message="Withdrawn" + (f": {text.strip()}" if text.strip() else "."),
        reason_text=text.strip(),
    )
    return submission
