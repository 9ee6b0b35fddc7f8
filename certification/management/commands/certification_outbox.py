"""Send pending certification tasks that could not be enqueued (e.g. the broker was down)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from certification.services.jobs import reap_stale
from certification.services.outbox import outbox_sweep


class Command(BaseCommand):
    help = "Re-send unsent outbox rows now and reap stale jobs (what beat does periodically)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent, left = outbox_sweep(older_than=timedelta(0))
        reaped = reap_stale()
        self.stdout.write(f"sent {sent}, still pending {left}; reaped {reaped}")
