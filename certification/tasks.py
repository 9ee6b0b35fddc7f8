"""Celery tasks of the certification app: thin wrappers around one service each.

Every task takes primitive keyword arguments, is ``acks_late`` (a worker that dies mid-task
leaves the message for redelivery), and is idempotent: the service claims its row by id and
status, so a second run of the same task does nothing or resumes, never duplicates.
Retries happen only for transient errors, with exponential backoff and a bound.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import shared_task
from celery.signals import beat_init

from common.errors import UpstreamError

logger = logging.getLogger(__name__)

MAX_RETRIES = 3


def backoff(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: 30 s, 2 min, 8 min."""
    return int(30 * (4**retries))


def _retry_or_give_up(task: Any, exc: Exception, give_up: Callable[[Exception], None]) -> None:
    """Retry with backoff while retries remain; after the last one, ``give_up`` records why."""
    if task.request.retries >= task.max_retries:
        give_up(exc)
        return
    raise task.retry(exc=exc, countdown=backoff(task.request.retries)) from exc


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    name="certification.tasks.intake_task",
    soft_time_limit=300,
)
def intake_task(self: Any, *, revision_id: int) -> None:
    from certification.services.submissions import revision_intake, revision_intake_give_up

    try:
        revision_intake(revision_id=revision_id)
    except UpstreamError as exc:
        _retry_or_give_up(
            self, exc, lambda e: revision_intake_give_up(revision_id=revision_id, reason=str(e))
        )


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    name="certification.tasks.notify_event_task",
    soft_time_limit=60,
)
def notify_event_task(self: Any, *, event_id: int) -> None:
    from certification.services.notify import notify_event

    try:
        notify_event(event_id=event_id)
    except Exception as exc:
        _retry_or_give_up(
            self, exc, lambda e: logger.error("giving up notifying event %s: %s", event_id, e)
        )


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    name="certification.tasks.nightly_pull_task",
    soft_time_limit=900,
)
def nightly_pull_task(self: Any, *, build_id: int) -> None:
    from certification.services.nightly import TransientBuildError, nightly_execute

    final = self.request.retries >= self.max_retries
    try:
        nightly_execute(build_id=build_id, task_id=self.request.id or "", final_attempt=final)
    except TransientBuildError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(acks_late=True, name="certification.tasks.nightly_schedule_task")
def nightly_schedule_task() -> int:
    from certification.services.nightly import nightly_schedule_all

    return len(nightly_schedule_all())


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    name="certification.tasks.deploy_task",
    soft_time_limit=600,
)
def deploy_task(self: Any, *, deployment_id: int) -> None:
    from certification.services.deployments import deployment_execute, deployment_give_up

    try:
        deployment_execute(deployment_id=deployment_id, task_id=self.request.id or "")
    except UpstreamError as exc:
        _retry_or_give_up(
            self,
            exc,
            lambda e: deployment_give_up(deployment_id=deployment_id, reason=f"{e} (gave up)"),
        )


@shared_task(bind=True, acks_late=True, name="certification.tasks.scan_task", soft_time_limit=1200)
def scan_task(self: Any, *, scan_id: int) -> None:
    from certification.services.scans import scan_execute

    scan_execute(scan_id=scan_id, task_id=self.request.id or "")


@shared_task(acks_late=True, name="certification.tasks.reaper_task")
def reaper_task() -> dict[str, int]:
    from certification.services.jobs import reap_stale

    return reap_stale()


@shared_task(acks_late=True, name="certification.tasks.outbox_sweep_task")
def outbox_sweep_task() -> int:
    from certification.services.outbox import outbox_sweep

    sent, _pending = outbox_sweep()
    return sent


@beat_init.connect
def _ensure_schedule(**_kwargs: Any) -> None:
    """When beat starts, make the periodic tasks match the settings (e.g. a new pull time)."""
    from certification.services.schedule import periodic_tasks_ensure

    try:
        periodic_tasks_ensure()
    except Exception as exc:  # the database may not be migrated yet
        logger.warning("could not install the certification schedule: %s", exc)
