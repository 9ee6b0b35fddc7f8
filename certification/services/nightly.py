"""Nightly builds: pull the developer's nightly URL, validate, deploy to ci-extensions."""

from __future__ import annotations

import io
import tempfile
import time

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from certification.models import BUILD_ACTIVE_STATES, BuildStatus, NightlyBuild, Submission
from certification.services import jobs, outbox
from certification.services.deployments import NIGHTLY_HOST, DeployFailed, deploy_bundle
from certification.workflow import Action, Status
from common import http
from common.bundle import read_bundle
from common.errors import BundleRejected, InvalidInput, NotAllowed, UpstreamError

#: Submissions whose nightly build is pulled every night.
PULLED_STATES = (Status.CI_SETUP, Status.RELEASE_REVIEW, Status.QA, Status.PM_UX, Status.CERTIFIED)


class TransientBuildError(Exception):
    """Worth another try later (timeout, unreachable, 5xx, host server down)."""


def _max_bytes() -> int:
    return int(getattr(settings, "CERTIFICATION_NIGHTLY_MAX_BYTES", 100 * 1024 * 1024))


def _timeout() -> float:
    return float(getattr(settings, "CERTIFICATION_NIGHTLY_TIMEOUT", 120.0))


def nightly_request(*, submission: Submission, trigger: str, actor: User | None) -> NightlyBuild:
    """Queue a pull (inside the caller's transaction); reuses one already in flight."""
    if actor is not None:
        from certification.services.transitions import can_act_in_stage

        if submission.owner_id != actor.pk and not can_act_in_stage(actor, Status.CI_SETUP):
            raise NotAllowed("only the developer or a core committer may pull a build now")
    active = submission.builds.filter(status__in=BUILD_ACTIVE_STATES).first()
    if active is not None:
        return active
    try:
        with transaction.atomic():
            build = NightlyBuild.objects.create(
                submission=submission, url=submission.nightly_url, trigger=trigger
            )
    except IntegrityError:  # a concurrent request created it first
        return submission.builds.filter(status__in=BUILD_ACTIVE_STATES).get()
    outbox.enqueue("certification.tasks.nightly_pull_task", build_id=build.pk)
    return build


@transaction.atomic
def nightly_request_now(*, submission_id: int, actor: User) -> NightlyBuild:
    from certification.services.transitions import lock_submission

    submission = lock_submission(submission_id)
    if submission.status not in PULLED_STATES:
        raise InvalidInput(f"nightly builds are not pulled while {submission.status}")
    return nightly_request(submission=submission, trigger="manual", actor=actor)


def nightly_schedule_all() -> list[int]:
    """The nightly beat: one pull per active submission (the newest per plugin)."""
    created = []
    for submission in Submission.objects.filter(status__in=PULLED_STATES).order_by("-id"):
        with transaction.atomic():
            build = nightly_request(submission=submission, trigger="schedule", actor=None)
            created.append(build.pk)
    return created


def _log(build_id: int, lines: list[str], line: str) -> None:
    lines.append(f"{timezone.now():%H:%M:%S} {line}")
    NightlyBuild.objects.filter(pk=build_id).update(
        log="\n".join(lines), heartbeat_at=timezone.now()
    )


def nightly_execute(
    *, build_id: int, task_id: str = "", final_attempt: bool = True
) -> NightlyBuild:
    """Pull, validate and deploy one nightly build (worker side).

    Raises TransientBuildError (row back to queued) when a retry may help and this is not the
    final attempt; every other failure ends the row as failed with a readable reason.
    """
    if not jobs.claim(
        NightlyBuild,
        build_id,
        task_id=task_id,
        startable=(BuildStatus.QUEUED,),
        running=BuildStatus.RUNNING,
        extra={"started_at": timezone.now()},
    ):
        return NightlyBuild.objects.get(pk=build_id)
    build = NightlyBuild.objects.select_related("submission").get(pk=build_id)
    lines = [build.log] if build.log else []
    started = time.monotonic()
    try:
        with jobs.heartbeat(NightlyBuild, build_id):
            return _pull_and_deploy(build, lines, started)
    except TransientBuildError as exc:
        if final_attempt:
            return _finish(build_id, lines, started, BuildStatus.FAILED, f"{exc} (gave up)")
        _log(build_id, lines, f"attempt {build.attempt} failed, will retry: {exc}")
        NightlyBuild.objects.filter(pk=build_id).update(status=BuildStatus.QUEUED, reason=str(exc))
        raise


def _pull_and_deploy(build: NightlyBuild, lines: list[str], started: float) -> NightlyBuild:
    submission = build.submission
    _log(build.pk, lines, f"GET {build.url} (attempt {build.attempt})")
    with tempfile.TemporaryFile() as fh:
        try:
            result = http.download(build.url, fh, max_bytes=_max_bytes(), timeout=_timeout())
        except http.UpstreamHTTPError as exc:
            NightlyBuild.objects.filter(pk=build.pk).update(http_status=exc.status_code)
            if exc.status_code >= 500 or exc.status_code == 429:
                raise TransientBuildError(
                    f"the nightly URL answered HTTP {exc.status_code}"
                ) from exc
            return _finish(
                build.pk, lines, started, BuildStatus.FAILED,
                f"The nightly URL answered HTTP {exc.status_code}: {exc}",
            )  # fmt: skip
        except http.UpstreamTooLarge as exc:
            return _finish(build.pk, lines, started, BuildStatus.FAILED, f"Too large: {exc}")
        except InvalidInput as exc:
            return _finish(build.pk, lines, started, BuildStatus.FAILED, f"Refused URL: {exc}")
        except UpstreamError as exc:
            raise TransientBuildError(f"download failed: {exc}") from exc
        fh.seek(0)
        data = fh.read()
    NightlyBuild.objects.filter(pk=build.pk).update(
        http_status=result.status, size=result.size, sha256=result.sha256
    )
    _log(build.pk, lines, f"HTTP {result.status}, {result.size} bytes, sha256 {result.sha256}")
    try:
        info = read_bundle(io.BytesIO(data))
    except BundleRejected as exc:
        return _finish(
            build.pk, lines, started, BuildStatus.FAILED, f"Not a valid plugin bundle: {exc}"
        )
    NightlyBuild.objects.filter(pk=build.pk).update(manifest_version=info.version)
    if info.plugin_id != submission.plugin_id:
        return _finish(
            build.pk, lines, started, BuildStatus.FAILED,
            f"The bundle is plugin {info.plugin_id!r}, not {submission.plugin_id!r}.",
        )  # fmt: skip
    last_green = (
        submission.builds.filter(status__in=[BuildStatus.PASSED, BuildStatus.UNCHANGED])
        .exclude(pk=build.pk)
        .order_by("-created_at", "-id")
        .first()
    )
    if last_green is not None and last_green.sha256 == result.sha256:
        return _finish(
            build.pk, lines, started, BuildStatus.UNCHANGED,
            f"Unchanged since build {last_green.pk}; not redeployed.",
        )  # fmt: skip
    stored = NightlyBuild.objects.get(pk=build.pk)
    stored.bundle.save(f"{submission.plugin_id}-{result.sha256[:12]}.tar.gz", ContentFile(data))
    NightlyBuild.objects.filter(pk=build.pk).update(status=BuildStatus.DEPLOYING)
    _log(build.pk, lines, f"version {info.version}: deploying to {NIGHTLY_HOST}")
    try:
        outcome = deploy_bundle(NIGHTLY_HOST, data, submission.plugin_id)
    except DeployFailed as exc:
        NightlyBuild.objects.filter(pk=build.pk).update(deployment_message=str(exc))
        return _finish(build.pk, lines, started, BuildStatus.FAILED, str(exc))
    except UpstreamError as exc:
        raise TransientBuildError(f"{NIGHTLY_HOST} unreachable: {exc}") from exc
    NightlyBuild.objects.filter(pk=build.pk).update(
        deployed=True, deployment_state=outcome.state, deployment_message=outcome.message
    )
    return _finish(build.pk, lines, started, BuildStatus.PASSED, outcome.message)


def _finish(
    build_id: int, lines: list[str], started: float, status: str, reason: str
) -> NightlyBuild:
    _log(build_id, lines, reason)
    with transaction.atomic():
        updated = NightlyBuild.objects.filter(
            pk=build_id, status__in=[BuildStatus.RUNNING, BuildStatus.DEPLOYING]
        ).update(
            status=status,
            reason=reason,
            finished_at=timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        build = NightlyBuild.objects.select_related("submission").get(pk=build_id)
        if updated:
            _after(build)
    return build


def _after(build: NightlyBuild) -> None:
    """A green build passes CI setup; a red build of a certified plugin warns its owners."""
    from certification.services.transitions import ci_pass, lock_submission, record_event

    submission = build.submission
    if build.status in (BuildStatus.PASSED, BuildStatus.UNCHANGED):
        if submission.status == Status.CI_SETUP:
            ci_pass(submission_id=submission.pk, build_id=build.pk)
    elif build.status == BuildStatus.FAILED and submission.status == Status.CERTIFIED:
        locked = lock_submission(submission.pk)
        record_event(
            locked,
            action=Action.NIGHTLY_FAILED,
            actor=None,
            from_status=locked.status,
            to_status=locked.status,
            reason_text=f"Nightly build {build.pk} failed: {build.reason}",
            evidence={"nightly_build": build.pk},
        )
