"""Tasks of the project package itself: only the worker ping that proves a worker is consuming."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

WORKER_PING_KEY = "portal:worker-ping:{token}"
WORKER_PING_TTL_SECONDS = 600


@shared_task(acks_late=True, ignore_result=True)
def worker_ping(*, token: str) -> None:
    """Record that a worker ran this task, in the cache every process shares.

    There is no result backend (results are rows in the apps' own tables), so the answer goes
    through the cache: a file cache on the embedded defaults, Redis otherwise.
    """
    cache.set(
        WORKER_PING_KEY.format(token=token),
        timezone.now().isoformat(),
        timeout=WORKER_PING_TTL_SECONDS,
    )
