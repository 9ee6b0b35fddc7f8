"""How the web UI describes the certification pipeline: stage steps, who it waits on, the
timeline, queues per group. Every read goes through ``certification.selectors`` (which owns
visibility); this module only shapes what they return for the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from certification import selectors as cert
from certification import workflow
from certification.workflow import Status
from common import roles
from common.errors import NotFound

if TYPE_CHECKING:
    from certification.models import Review, Submission

STAGE_ORDER = (
    Status.SUBMITTED,
    Status.BASIC_REVIEW,
    Status.CI_SETUP,
    Status.RELEASE_REVIEW,
    Status.QA,
    Status.PM_UX,
    Status.CERTIFIED,
)
GROUP_LABELS = {
    roles.CORE_COMMITTERS: "core committers",
    roles.SECURITY_REVIEWERS: "security reviewers",
    roles.QA: "QA",
    roles.PM_UX: "PM/UX",
    roles.PORTAL_ADMINS: "portal admins",
}


def submission_list_for_owner(*, owner: User) -> QuerySet[Submission]:
    return (
        cert.submission_list(viewer=owner, filters={"mine": True})
        .annotate(
            open_blockers=Count(
                "findings", filter=Q(findings__blocking=True, findings__waived_at__isnull=True)
            )
        )
        .order_by("-updated_at", "-id")
    )


def submission_visible(*, submission_id: int, user: User) -> Submission | None:
    """The submission if ``user`` may see it (certification's visibility rule), else None."""
    try:
        return cert.submission_get(viewer=user, submission_id=submission_id)
    except NotFound:
        return None


REVIEW_STAGES = frozenset(workflow.REVIEW_STAGES)
REVIEWER_GROUPS = frozenset(
    {roles.CORE_COMMITTERS, roles.SECURITY_REVIEWERS, roles.QA, roles.PM_UX}
)


@dataclass
class StageStep:
    status: str
    label: str
    state: str  # done | current | todo | failed


@dataclass
class TimelineEntry:
    at: datetime
    actor: str
    title: str
    detail: str
    css: str
    waited: timedelta | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def stage_steps(submission: Submission) -> list[StageStep]:
    status = submission.status
    reached = status
    if status in (Status.CHANGES_REQUESTED, Status.REJECTED, Status.WITHDRAWN):
        reached = submission.return_stage or Status.SUBMITTED
    index = STAGE_ORDER.index(reached) if reached in STAGE_ORDER else 0
    steps = []
    for i, stage in enumerate(STAGE_ORDER):
        if (stage == Status.CERTIFIED and status == Status.CERTIFIED) or i < index:
            state = "done"
        elif i == index:
            state = "failed" if status in (Status.REJECTED,) else "current"
        else:
            state = "todo"
        steps.append(StageStep(stage, Status(stage).label, state))
    return steps


def waiting_on(submission: Submission, approvals: list[Review] | None = None) -> str:
    """Who the submission waits for now, in plain words."""
    status = submission.status
    if status == Status.SUBMITTED:
        return "The portal is checking the source and bundle."
    if status == Status.CHANGES_REQUESTED:
        return f"{submission.owner.get_username()} (the developer): changes were requested."
    if status == Status.CI_SETUP:
        return "A green nightly build on the ci-extensions test server (pulled every night)."
    if status in workflow.STAGE_ROLES:
        groups = ", ".join(GROUP_LABELS.get(g, g) for g in sorted(workflow.STAGE_ROLES[status]))
        if status == Status.RELEASE_REVIEW:
            count = len(approvals or [])
            has_security = any(r.as_security for r in approvals or [])
            need = workflow.RELEASE_REVIEW_APPROVALS - count
            extra = "" if has_security else " (one must be a security reviewer)"
            return f"{groups}: {max(need, 0)} more approval(s){extra}."
        return f"{groups}."
    return "Nobody: this submission is closed."


def timeline(submission: Submission) -> list[TimelineEntry]:
    events = list(cert.audit_list(submission=submission))
    entries: list[TimelineEntry] = []
    previous_move: datetime = submission.created_at
    for event in events:
        moved = event.from_status != event.to_status
        waited = event.at - previous_move if moved else None
        if moved:
            previous_move = event.at
        title = action_label(event.action)
        if moved:
            title += f": {Status(event.from_status).label} → {Status(event.to_status).label}"
        detail_parts = []
        if event.reason_code:
            detail_parts.append(_reason_label(event.reason_code))
        if event.reason_text:
            detail_parts.append(event.reason_text)
        css = "done"
        if event.to_status in (Status.REJECTED, Status.CHANGES_REQUESTED):
            css = "failed"
        entries.append(
            TimelineEntry(
                at=event.at,
                actor=event.actor.get_username() if event.actor else "the portal",
                title=title,
                detail=" — ".join(detail_parts),
                css=css,
                waited=waited,
                evidence=event.evidence or {},
            )
        )
    return entries


def action_label(action: str) -> str:
    try:
        return str(workflow.Action(action).label)
    except ValueError:
        return action


def _reason_label(code: str) -> str:
    try:
        return str(workflow.Reason(code).label)
    except ValueError:
        return code


def submission_details(submission: Submission) -> dict[str, Any]:
    """Everything the developer and review pages show about one submission."""
    revision = submission.current_revision
    reviews = list(cert.review_list(submission=submission))
    current_approvals = [
        r
        for r in reviews
        if r.stage == submission.status
        and r.decision == workflow.Decision.APPROVE
        and r.revision_id == submission.current_revision_id
    ]
    findings = list(cert.finding_list(submission=submission))
    return {
        "submission": submission,
        "revision": revision,
        "revisions": list(cert.revision_list(submission=submission).reverse()),
        "steps": stage_steps(submission),
        "waiting_on": waiting_on(submission, current_approvals),
        "waited": timezone.now() - submission.status_changed_at,
        "timeline": timeline(submission),
        "reviews": reviews,
        "approvals": current_approvals,
        "findings": findings,
        "open_blockers": [f for f in findings if f.is_open_blocker],
        "scans": list(cert.scan_list(submission=submission)),
        "builds": list(cert.build_list(submission=submission)[:30]),
        "deployments": list(cert.deployment_list(submission=submission)),
        "links": cert.test_links(submission=submission),
    }


def review_queues(*, user: User) -> list[tuple[str, str, list[Submission]]]:
    """Per reviewer group of ``user``: (group, label, submissions waiting, oldest first)."""
    groups = roles.user_groups(user)
    admin = roles.is_portal_admin(user)
    waiting = list(cert.review_queue(viewer=user))
    queues = []
    for group in (roles.CORE_COMMITTERS, roles.SECURITY_REVIEWERS, roles.QA, roles.PM_UX):
        if group not in groups and not admin:
            continue
        stages = {s for s, need in workflow.STAGE_ROLES.items() if group in need}
        queues.append((group, GROUP_LABELS[group], [s for s in waiting if s.status in stages]))
    return queues
