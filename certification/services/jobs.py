"""Long work as rows: claiming a row for one task run, heartbeats, and the reaper.

A task claims its row with a conditional UPDATE (queued -> running, or running under the same
Celery task id when the broker redelivers it after a worker died), so two runs of one task
never both do the work. While it works, a heartbeat thread touches ``heartbeat_at``; the reaper
fails rows whose heartbeat went stale, with a message a person can act on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import close_old_connections, connection, models
from django.db.models import Q
from django.utils import timezone

from certification.models import (
    BuildStatus,
    Deployment,
    JobStatus,
    NightlyBuild,
    ScanRun,
)

HEARTBEAT_SECONDS = 10.0
#: A running row whose heartbeat is older than this belongs to a dead worker.
STALE_AFTER = timedelta(minutes=5)


def claim(
    model: type[models.Model],
    pk: int,
    *,
    task_id: str,
    startable: tuple[str, ...],
    running: str,
    extra: dict | None = None,
) -> bool:
    """Atomically mark row ``pk`` as running for ``task_id``; False when it is not ours to run."""
    now = timezone.now()
    mine = Q(status__in=startable)
    if task_id:
        mine |= Q(status=running, task_id=task_id)
    updated = model._default_manager.filter(mine, pk=pk).update(
        status=running,
        task_id=task_id,
        heartbeat_at=now,
        attempt=models.F("attempt") + 1,
        **(extra or {}),
    )
    return bool(updated)


@contextmanager
def heartbeat(
    model: type[models.Model], pk: int, *, every: float = HEARTBEAT_SECONDS
) -> Iterator[None]:
    """Touch ``heartbeat_at`` every ``every`` seconds while the body runs."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                model._default_manager.filter(pk=pk).update(heartbeat_at=timezone.now())
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    if connection.in_atomic_block:
        # Inside a test transaction another connection cannot see the row: no thread.
        yield
        return
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)
        close_old_connections()


def reap_stale(*, older_than: timedelta = STALE_AFTER) -> dict[str, int]:
    """Fail every running row whose worker stopped sending heartbeats."""
    cutoff = timezone.now() - older_than
    now = timezone.now()
    since = f"no heartbeat for more than {int(older_than.total_seconds())} s"
    counts = {
        "builds": NightlyBuild.objects.filter(
            status__in=[BuildStatus.RUNNING, BuildStatus.DEPLOYING], heartbeat_at__lt=cutoff
        ).update(
            status=BuildStatus.FAILED,
            reason=f"The worker stopped while pulling or deploying ({since}); pull again.",
            finished_at=now,
        ),
        "scans": ScanRun.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).update(
            status=JobStatus.FAILED,
            error=f"The worker stopped during the scan ({since}); re-run the scan.",
            finished_at=now,
        ),
        "deployments": Deployment.objects.filter(
            status=JobStatus.RUNNING, heartbeat_at__lt=cutoff
        ).update(
            status=JobStatus.FAILED,
            message=f"The worker stopped during the deployment ({since}); retry it.",
            finished_at=now,
        ),
    }
    return counts
