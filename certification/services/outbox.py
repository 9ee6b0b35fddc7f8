"""Transactional outbox: follow-up tasks are rows written with the change that causes them.

``enqueue`` writes a :class:`PendingTask` inside the caller's transaction and, after commit,
hands it to Celery. If the broker is unreachable the row stays unsent and ``outbox_sweep``
(run by beat and by ``manage.py certification_outbox``) sends it later, so a submission made
while the broker is down still gets its work done. Tasks are idempotent, so the rare double
send (sweep racing the on-commit hook) is harmless.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from celery.exceptions import Retry
from django.db import transaction
from django.utils import timezone

from certification.models import PendingTask

logger = logging.getLogger(__name__)

#: An unsent row younger than this is left to its own on-commit hook.
SWEEP_GRACE = timedelta(seconds=30)


def enqueue(task_name: str, **kwargs: Any) -> PendingTask:
    """Record ``task_name(**kwargs)`` and send it once the surrounding transaction commits."""
    pending = PendingTask.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: _send(pending.pk))
    return pending


def _send(pending_id: int) -> bool:
    pending = PendingTask.objects.filter(pk=pending_id, sent_at__isnull=True).first()
    if pending is None:
        return True
    if _eager():
        import certification.tasks  # noqa: F401  (registers the tasks with the app)

        # Unit tests run tasks inline: mark first, then let the task's errors propagate.
        PendingTask.objects.filter(pk=pending_id).update(sent_at=timezone.now(), attempts=1)
        # A retry is sent to the broker; Celery still raises Retry to the eager caller.
        with contextlib.suppress(Retry):
            current_app.tasks[pending.task_name].apply_async(kwargs=pending.kwargs)
        return True
    try:
        current_app.send_task(
            pending.task_name,
            kwargs=pending.kwargs,
            # Fail fast when the broker is down: the sweep retries, the request must not hang.
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
        )
    except Exception as exc:  # the broker is down or refused: keep the row for the sweep
        logger.warning("could not enqueue %s: %s", pending.task_name, exc)
        PendingTask.objects.filter(pk=pending_id).update(
            attempts=pending.attempts + 1, last_error=str(exc)[:2000]
        )
        return False
    PendingTask.objects.filter(pk=pending_id).update(
        sent_at=timezone.now(), attempts=pending.attempts + 1, last_error=""
    )
    return True


def _eager() -> bool:
    # send_task ignores task_always_eager, so eager mode calls the registered task instead.
    return bool(current_app.conf.task_always_eager)


def outbox_sweep(*, older_than: timedelta = SWEEP_GRACE, limit: int = 500) -> tuple[int, int]:
    """Send unsent rows older than ``older_than``; returns (sent, still pending)."""
    cutoff = timezone.now() - older_than
    ids = list(
        PendingTask.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = sum(1 for pk in ids if _send(pk))
    return sent, len(ids) - sent
