"""Reads of the certification app: visibility (who sees what) and query shape live here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet

from certification import fingerprints, review, sources, workflow
from certification.models import (
    AuditEvent,
    Deployment,
    DeploymentPurpose,
    Finding,
    NightlyBuild,
    Review,
    ScanRun,
    SourceStatus,
    Submission,
    SubmissionRevision,
)
from certification.services.deployments import HOST_FOR_PURPOSE, NIGHTLY_HOST, plugin_url
from certification.workflow import Decision, Status
from common import roles
from common.errors import NotFound

Viewer = User | AnonymousUser


def _acting_stages(viewer: Viewer) -> list[str]:
    groups = roles.user_groups(viewer)
    return [stage for stage, need in workflow.STAGE_ROLES.items() if groups & need]


def submission_visible(*, viewer: Viewer) -> QuerySet[Submission]:
    """Developers see their own; reviewers also what is in their stages or they reviewed."""
    qs = Submission.objects.select_related("owner", "current_revision", "basic_reviewer")
    if not viewer.is_authenticated:
        return qs.none()
    if roles.is_portal_admin(viewer):
        return qs
    reviewed = Review.objects.filter(submission=OuterRef("pk"), reviewer=viewer)
    return qs.filter(Q(owner=viewer) | Q(status__in=_acting_stages(viewer)) | Q(Exists(reviewed)))


def submission_list(
    *, viewer: Viewer, filters: dict[str, Any] | None = None
) -> QuerySet[Submission]:
    qs = submission_visible(viewer=viewer)
    filters = filters or {}
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("plugin_id"):
        qs = qs.filter(plugin_id=filters["plugin_id"])
    if filters.get("mine"):
        qs = qs.filter(owner_id=viewer.pk)
    return qs.order_by("-created_at", "-id")


def submission_get(*, viewer: Viewer, submission_id: int) -> Submission:
    found = submission_visible(viewer=viewer).filter(pk=submission_id).first()
    if found is None:
        raise NotFound(f"submission {submission_id} does not exist or is not visible to you")
    return found


def review_queue(*, viewer: Viewer, stage: str | None = None) -> QuerySet[Submission]:
    """What this reviewer can act on now: stages of their groups, not their own, not yet
    approved by them for the current revision."""
    if not viewer.is_authenticated:
        return Submission.objects.none()
    stages = list(workflow.STAGE_ROLES) if roles.is_portal_admin(viewer) else _acting_stages(viewer)
    if stage:
        stages = [s for s in stages if s == stage]
    approved = Review.objects.filter(
        revision=OuterRef("current_revision"),
        stage=OuterRef("status"),
        reviewer=viewer,
        decision=Decision.APPROVE,
    )
    return (
        Submission.objects.select_related("owner", "current_revision", "basic_reviewer")
        .filter(status__in=stages)
        .exclude(owner=viewer)
        .exclude(Exists(approved))
        .order_by("status_changed_at", "id")
    )


def revision_list(*, submission: Submission) -> QuerySet[SubmissionRevision]:
    return submission.revisions.select_related("created_by").order_by("number")


def audit_list(*, submission: Submission) -> QuerySet[AuditEvent]:
    return submission.events.select_related("actor").order_by("at", "id")


def review_list(*, submission: Submission) -> QuerySet[Review]:
    return submission.reviews.select_related("reviewer", "revision").order_by("created_at", "id")


def build_list(*, submission: Submission) -> QuerySet[NightlyBuild]:
    return submission.builds.order_by("-created_at", "-id")


def build_get(*, viewer: Viewer, build_id: int) -> NightlyBuild:
    build = NightlyBuild.objects.select_related("submission").filter(pk=build_id).first()
    if build is None:
        raise NotFound(f"build {build_id} does not exist")
    submission_get(viewer=viewer, submission_id=build.submission_id)
    return build


def scan_list(*, submission: Submission, current_only: bool = True) -> QuerySet[ScanRun]:
    qs = submission.scans.select_related("revision")
    if current_only:
        qs = qs.filter(revision=submission.current_revision_id)
    return qs.order_by("-revision__number", "tool")


def finding_list(*, submission: Submission, current_only: bool = True) -> QuerySet[Finding]:
    qs = submission.findings.select_related("scan__revision", "waived_by")
    if current_only:
        qs = qs.filter(scan__revision=submission.current_revision_id)
    return qs.order_by("-blocking", "file", "line", "id")


def finding_get(*, viewer: Viewer, finding_id: int) -> Finding:
    finding = Finding.objects.filter(pk=finding_id).first()
    if finding is None:
        raise NotFound(f"finding {finding_id} does not exist")
    submission_get(viewer=viewer, submission_id=finding.submission_id)
    return finding


def deployment_list(*, submission: Submission) -> QuerySet[Deployment]:
    return submission.deployments.select_related("revision").order_by("-created_at", "-id")


def proposed_reviewers(*, submission: Submission) -> list[User]:
    """Release review: the basic reviewer first, then security reviewers (never the owner)."""
    user_model = get_user_model()
    out: list[User] = []
    if submission.basic_reviewer is not None and submission.basic_reviewer.is_active:
        out.append(submission.basic_reviewer)
    security = user_model.objects.filter(
        groups__name=roles.SECURITY_REVIEWERS, is_active=True
    ).exclude(pk=submission.owner_id)
    out += [u for u in security.order_by("username") if u not in out]
    return out


def test_links(*, submission: Submission) -> dict[str, str]:
    """Where QA and PM/UX find the plugin on the test servers."""
    return {
        "nightly": plugin_url(NIGHTLY_HOST, submission.plugin_id),
        "release": plugin_url(HOST_FOR_PURPOSE[DeploymentPurpose.RELEASE], submission.plugin_id),
        "release_server": plugin_url(HOST_FOR_PURPOSE[DeploymentPurpose.RELEASE], "").rstrip("/"),
    }


def _revision_files(revision: SubmissionRevision | None) -> list[tuple[str, bytes]]:
    if revision is None or revision.source_status != SourceStatus.READY:
        return []
    with revision.source_archive.open("rb") as fh:
        return list(sources.iter_files(fh.read()))


def basic_review(*, submission: Submission) -> dict[str, Any]:
    """The code to review: template boilerplate hidden; for a re-certification, the diff
    against the last certified release's source as well."""
    files = _revision_files(submission.current_revision)
    prints = fingerprints.load(settings.STARTER_TEMPLATE_FINGERPRINTS)
    view = review.template_view(files, prints).as_dict()
    view["source_ready"] = bool(files)
    view["fingerprints_configured"] = prints is not None
    if submission.recertifies is not None:
        certified = submission.recertifies.current_revision
        view["recertification"] = {
            "certified_submission": submission.recertifies_id,
            "certified_version": submission.recertifies.version,
            "files": [f.as_dict() for f in review.release_diff(_revision_files(certified), files)],
        }
    return view


def checklist(*, stage: str, as_security: bool = False) -> list[dict[str, str]]:
    return [
        {"key": i.key, "text": i.text}
        for i in workflow.checklist_for(stage, as_security=as_security)
    ]


def stage_requirements(*, submission: Submission) -> dict[str, Any]:
    """What the current stage needs before it moves on (for the UI and the API)."""
    stage = submission.status
    out: dict[str, Any] = {"stage": stage, "roles": sorted(workflow.STAGE_ROLES.get(stage, ()))}
    if stage in workflow.CHECKLISTS:
        out["checklist"] = checklist(stage=stage)
    if stage == Status.RELEASE_REVIEW:
        out["security_checklist"] = [
            {"key": i.key, "text": i.text} for i in workflow.SECURITY_CHECKLIST
        ]
        approvals = Review.objects.filter(
            revision=submission.current_revision_id, stage=stage, decision=Decision.APPROVE
        ).select_related("reviewer")
        out["approvals"] = [
            {"reviewer": r.reviewer.get_username(), "as_security": r.as_security} for r in approvals
        ]
        out["approvals_needed"] = workflow.RELEASE_REVIEW_APPROVALS
        out["proposed_reviewers"] = [
            u.get_username() for u in proposed_reviewers(submission=submission)
        ]
    if stage in (Status.QA, Status.PM_UX, Status.RELEASE_REVIEW):
        out["links"] = test_links(submission=submission)
    return out
