"""The certification app's periodic tasks, as django-celery-beat rows kept in line with settings."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from common.errors import InvalidInput

NIGHTLY_NAME = "certification: pull nightly builds"
REAPER_NAME = "certification: reap stale builds, scans and deployments"
OUTBOX_NAME = "certification: send pending tasks (outbox)"
REAPER_MINUTES = 5
OUTBOX_SECONDS = 60


def parse_pull_time(value: str) -> tuple[int, int]:
    try:
        hour, minute = (int(p) for p in value.strip().split(":"))
    except ValueError as exc:
        raise InvalidInput(f"NIGHTLY_PULL_TIME must be HH:MM, not {value!r}") from exc
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise InvalidInput(f"NIGHTLY_PULL_TIME must be HH:MM, not {value!r}")
    return hour, minute


@transaction.atomic
def periodic_tasks_ensure(*, pull_time: str | None = None) -> list[PeriodicTask]:
    """Create or update the nightly pull, the reaper and the outbox sweep (idempotent)."""
    hour, minute = parse_pull_time(pull_time or settings.NIGHTLY_PULL_TIME)
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(minute),
        hour=str(hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    reaper_every, _ = IntervalSchedule.objects.get_or_create(
        every=REAPER_MINUTES, period=IntervalSchedule.MINUTES
    )
    outbox_every, _ = IntervalSchedule.objects.get_or_create(
        every=OUTBOX_SECONDS, period=IntervalSchedule.SECONDS
    )
    rows = []
    for name, task, schedule in (
        (NIGHTLY_NAME, "certification.tasks.nightly_schedule_task", {"crontab": crontab}),
        (REAPER_NAME, "certification.tasks.reaper_task", {"interval": reaper_every}),
        (OUTBOX_NAME, "certification.tasks.outbox_sweep_task", {"interval": outbox_every}),
    ):
        defaults = {"task": task, "enabled": True, "crontab": None, "interval": None, **schedule}
        row, _ = PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
        rows.append(row)
    return rows
