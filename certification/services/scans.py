"""Release-review scans: one ScanRun per tool per revision, findings as rows, waivers."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from certification import scanners, sources
from certification.models import (
    Finding,
    JobStatus,
    ScanRun,
    ScanTool,
    SourceStatus,
    Submission,
)
from certification.services import jobs, outbox
from certification.services.transitions import lock_submission, record_event
from certification.workflow import Action, Status
from common import roles
from common.errors import Conflict, InvalidInput, NotAllowed, NotFound


def scans_start(*, submission: Submission) -> list[ScanRun]:
    """Create the scan rows of the current revision (once) and queue them.

    Called inside the transaction that moved the submission into the release review (or made
    its source ready); idempotent thanks to the one-scan-per-tool-per-revision constraint.
    """
    revision = submission.current_revision
    if revision is None or revision.source_status != SourceStatus.READY:
        return []
    runs = []
    for tool in ScanTool.values:
        run, created = ScanRun.objects.get_or_create(
            revision=revision, tool=tool, defaults={"submission": submission}
        )
        if created:
            outbox.enqueue("certification.tasks.scan_task", scan_id=run.pk)
        runs.append(run)
    return runs


def scan_execute(*, scan_id: int, task_id: str = "") -> ScanRun:
    """Run one scanner over the revision's source and store its findings (worker side)."""
    if not jobs.claim(
        ScanRun,
        scan_id,
        task_id=task_id,
        startable=(JobStatus.QUEUED,),
        running=JobStatus.RUNNING,
        extra={"started_at": timezone.now(), "error": ""},
    ):
        return ScanRun.objects.get(pk=scan_id)  # done, or run by someone else
    run = ScanRun.objects.select_related("revision", "submission").get(pk=scan_id)
    revision = run.revision
    try:
        with jobs.heartbeat(ScanRun, scan_id), tempfile.TemporaryDirectory(prefix="scan-") as tmp:
            root = Path(tmp) / "src"
            root.mkdir()
            with revision.source_archive.open("rb") as fh:
                sources.extract_to(fh.read(), root)
            result = scanners.run_tool(
                run.tool,
                root,
                declared_licence=run.submission.licence,
                manifest_data=revision.manifest,
            )
    except scanners.ScannerError as exc:
        return _finish(scan_id, error=str(exc) or exc.__class__.__name__)
    except (OSError, InvalidInput) as exc:
        return _finish(scan_id, error=f"could not read the source: {exc}")
    return _finish(scan_id, result=result)


@transaction.atomic
def _finish(scan_id: int, *, result: scanners.ScanResult | None = None, error: str = "") -> ScanRun:
    run = ScanRun.objects.select_for_update().get(pk=scan_id)
    if run.status != JobStatus.RUNNING:
        return run  # reaped meanwhile: the reaper's verdict stands
    run.findings.all().delete()  # a redelivered run replaces, never duplicates
    if result is not None:
        Finding.objects.bulk_create(
            Finding(scan=run, submission_id=run.submission_id, **f.as_dict())
            for f in result.findings
        )
        run.stats = {**result.stats, "findings": len(result.findings)}
        run.status = JobStatus.SUCCEEDED
    else:
        run.status = JobStatus.FAILED
        run.error = error
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "stats", "finished_at"])
    _summarise(run.submission_id, run.revision_id)
    return run


def _summarise(submission_id: int, revision_id: int) -> None:
    runs = list(ScanRun.objects.filter(revision_id=revision_id))
    if any(r.status in (JobStatus.QUEUED, JobStatus.RUNNING) for r in runs):
        return
    submission = lock_submission(submission_id)
    if submission.status != Status.RELEASE_REVIEW or submission.current_revision_id != revision_id:
        return
    failed = [r.tool for r in runs if r.status == JobStatus.FAILED]
    blockers = Finding.objects.filter(
        scan__revision_id=revision_id, blocking=True, waived_at__isnull=True
    ).count()
    if failed:
        message = f"Scans failed ({', '.join(failed)}); a reviewer must re-run them."
    elif blockers:
        message = f"Scans done: {blockers} blocking finding(s) to fix or waive."
    else:
        message = "Scans done, no blocking findings; waiting for two reviewers."
    submission.status_message = message
    submission.save(update_fields=["status_message", "updated_at"])


def _require_security(actor: User, submission: Submission) -> None:
    if submission.owner_id == actor.pk:
        raise NotAllowed("nobody waives findings of their own submission")
    if not (roles.is_portal_admin(actor) or roles.SECURITY_REVIEWERS in roles.user_groups(actor)):
        raise NotAllowed("only security reviewers may do this")


@transaction.atomic
def scan_rerun(*, scan_id: int, actor: User) -> ScanRun:
    """Queue a failed scan again (after the reaper or a scanner failure)."""
    run = ScanRun.objects.select_for_update().select_related("submission").filter(pk=scan_id)
    found = run.first()
    if found is None:
        raise NotFound(f"scan {scan_id} does not exist")
    submission = lock_submission(found.submission_id)
    from certification.services.transitions import can_act_in_stage

    if submission.owner_id != actor.pk and not can_act_in_stage(actor, Status.RELEASE_REVIEW):
        raise NotAllowed("only the developer or a release reviewer may re-run a scan")
    if found.status != JobStatus.FAILED:
        raise Conflict(f"only a failed scan can be re-run; this one is {found.status}")
    found.findings.all().delete()
    found.status = JobStatus.QUEUED
    found.error = ""
    found.task_id = ""
    found.save(update_fields=["status", "error", "task_id"])
    outbox.enqueue("certification.tasks.scan_task", scan_id=found.pk)
    return found


@transaction.atomic
def finding_waive(*, finding_id: int, actor: User, justification: str) -> Finding:
    """A security reviewer accepts a blocking finding, with a justification on record."""
    finding = Finding.objects.select_for_update().filter(pk=finding_id).first()
    if finding is None:
        raise NotFound(f"finding {finding_id} does not exist")
    submission = lock_submission(finding.submission_id)
    _require_security(actor, submission)
    if not justification or len(justification.strip()) < 10:
        raise InvalidInput("explain why the finding is acceptable (at least 10 characters)")
    if finding.waived_at is not None:
        raise Conflict("this finding is already waived")
    finding.waived_by = actor
    finding.waiver_justification = justification.strip()
    finding.waived_at = timezone.now()
    finding.save(update_fields=["waived_by", "waiver_justification", "waived_at"])
    record_event(
        submission,
        action=Action.WAIVE_FINDING,
        actor=actor,
        from_status=submission.status,
        to_status=submission.status,
        reason_text=finding.waiver_justification,
        evidence={"finding": finding.pk, "rule": finding.rule_id, "file": finding.file},
        notify=False,
    )
    _summarise(submission.pk, finding.scan.revision_id)
    return finding
