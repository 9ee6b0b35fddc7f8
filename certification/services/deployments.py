"""Deploying bundles to host servers over the Mattermost REST API (never by import)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from certification.models import Deployment, DeploymentPurpose, JobStatus
from certification.services import jobs
from common import roles
from common.errors import Conflict, InvalidInput, NotAllowed, NotFound, UpstreamError
from common.mattermost import (
    STATE_FAILED_TO_START,
    STATE_FAILED_TO_STAY_RUNNING,
    STATE_RUNNING,
    MattermostAPIError,
    MattermostClient,
)

HOST_FOR_PURPOSE = {
    DeploymentPurpose.RELEASE: "ci-extensions-release",
    DeploymentPurpose.COMMUNITY: "community",
}
NIGHTLY_HOST = "ci-extensions"
STATE_NAMES = {
    0: "NotRunning",
    1: "Starting",
    STATE_RUNNING: "Running",
    STATE_FAILED_TO_START: "FailedToStart",
    STATE_FAILED_TO_STAY_RUNNING: "FailedToStayRunning",
    5: "Stopping",
}


class DeployFailed(Exception):
    """The host server refused the plugin or it did not run: not worth retrying."""


@dataclass(frozen=True)
class DeployOutcome:
    state: str
    message: str


def host_url(host: str) -> str:
    return f"{settings.HOSTSERVER_BASE_URL}/hosts/{host}"


def plugin_url(host: str, plugin_id: str) -> str:
    """Where people find the plugin on a host server (shown to QA and PM/UX)."""
    return f"{host_url(host)}/plugins/{plugin_id}"


def host_client(host: str) -> MattermostClient:
    """A client for one host server with the deployer's credentials from settings."""
    base = host_url(host)
    timeout = float(getattr(settings, "CERTIFICATION_DEPLOY_TIMEOUT", 60.0))
    token = getattr(settings, "CERTIFICATION_DEPLOY_TOKEN", "")
    if token:
        return MattermostClient(base, token, timeout=timeout)
    return MattermostClient.login(
        base,
        settings.CERTIFICATION_DEPLOY_USERNAME,
        settings.CERTIFICATION_DEPLOY_PASSWORD,
        timeout=timeout,
    )


def deploy_bundle(host: str, bundle: bytes, plugin_id: str) -> DeployOutcome:
    """Upload (force), enable and wait until the plugin runs or fails on ``host``.

    Raises DeployFailed when the server refuses the bundle or the plugin fails to run, and
    UpstreamError when the server cannot be reached (transient: the task retries).
    """
    wait = float(getattr(settings, "CERTIFICATION_PLUGIN_START_TIMEOUT", 60.0))
    try:
        with host_client(host) as client:
            client.upload_plugin(bundle, force=True)
            client.enable_plugin(plugin_id)
            status = client.wait_for_plugin_state(plugin_id, timeout=wait)
    except MattermostAPIError as exc:
        if exc.status_code >= 500 or exc.status_code in (0, 429):
            raise
        raise DeployFailed(f"{host} refused the plugin: {exc}") from exc
    except UpstreamError as exc:
        if getattr(exc, "code", "") == "plugin_start_timeout":
            raise DeployFailed(str(exc)) from exc
        raise
    state = STATE_NAMES.get(int(status.get("state", -1)), str(status.get("state")))
    if status.get("state") != STATE_RUNNING:
        error = status.get("error") or status.get("description") or ""
        raise DeployFailed(f"plugin {plugin_id} is {state} on {host}. {error}".strip())
    return DeployOutcome(state=state, message=f"Running on {host}.")


def deployment_execute(*, deployment_id: int, task_id: str = "") -> Deployment:
    """Deploy a revision's bundle for a release test or the community install (worker side)."""
    if not jobs.claim(
        Deployment,
        deployment_id,
        task_id=task_id,
        startable=(JobStatus.QUEUED,),
        running=JobStatus.RUNNING,
        extra={"message": ""},
    ):
        return Deployment.objects.get(pk=deployment_id)
    deployment = Deployment.objects.select_related("revision", "submission").get(pk=deployment_id)
    with deployment.revision.bundle.open("rb") as fh:
        bundle = fh.read()
    try:
        with jobs.heartbeat(Deployment, deployment_id):
            outcome = deploy_bundle(deployment.host, bundle, deployment.submission.plugin_id)
    except DeployFailed as exc:
        return _finish(deployment_id, JobStatus.FAILED, "", str(exc))
    except UpstreamError as exc:
        # Transient: back to queued so that the retry can claim it again.
        Deployment.objects.filter(pk=deployment_id, status=JobStatus.RUNNING).update(
            status=JobStatus.QUEUED, message=f"Retrying: {exc}"
        )
        raise
    return _finish(deployment_id, JobStatus.SUCCEEDED, outcome.state, outcome.message)


@transaction.atomic
def deployment_retry(*, deployment_id: int, actor: User) -> Deployment:
    """Queue a failed deployment again (e.g. the host server was down for too long)."""
    from certification.services import outbox
    from certification.services.transitions import can_act_in_stage, lock_submission

    deployment = Deployment.objects.select_for_update().filter(pk=deployment_id).first()
    if deployment is None:
        raise NotFound(f"deployment {deployment_id} does not exist")
    submission = lock_submission(deployment.submission_id)
    if not can_act_in_stage(actor, submission.status) or submission.owner_id == actor.pk:
        raise NotAllowed("only a reviewer of the current stage may retry a deployment")
    if deployment.status != JobStatus.FAILED:
        raise Conflict(f"only a failed deployment can be retried; this one is {deployment.status}")
    deployment.status = JobStatus.QUEUED
    deployment.message = ""
    deployment.task_id = ""
    deployment.save(update_fields=["status", "message", "task_id"])
    outbox.enqueue("certification.tasks.deploy_task", deployment_id=deployment.pk)
    return deployment


def deployment_give_up(*, deployment_id: int, reason: str) -> None:
    """Retries exhausted: record the last transient error as the failure."""
    Deployment.objects.filter(
        pk=deployment_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).update(status=JobStatus.FAILED, message=reason, finished_at=timezone.now())


def _finish(deployment_id: int, status: str, state: str, message: str) -> Deployment:
    Deployment.objects.filter(pk=deployment_id, status=JobStatus.RUNNING).update(
        status=status, plugin_state=state, message=message, finished_at=timezone.now()
    )
    return Deployment.objects.get(pk=deployment_id)


@transaction.atomic
def deployer_ensure() -> User:
    """The portal's deployer account: a portal admin (system admin on the host servers) with
    the credentials from settings. Idempotent; a changed password in settings is applied."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    username = settings.CERTIFICATION_DEPLOY_USERNAME
    password = settings.CERTIFICATION_DEPLOY_PASSWORD
    if not username or not password:
        raise InvalidInput("set CERTIFICATION_DEPLOY_USERNAME and CERTIFICATION_DEPLOY_PASSWORD")
    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(
        username=username, defaults={"email": f"{username}@plugin-portal.invalid"}
    )
    if not user.check_password(password) or not user.is_active:
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
    user.groups.add(Group.objects.get_or_create(name=roles.PORTAL_ADMINS)[0])
    return user
