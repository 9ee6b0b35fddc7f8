"""``manage.py check_worker``: send a ping task through the broker and wait for a worker to run it.

Used by the ``make run`` smoke test in CI and by operators after a deployment: it proves that the
broker accepts messages and that at least one worker consumes the ``default`` queue.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.tasks import WORKER_PING_KEY, worker_ping


class Command(BaseCommand):
    help = "Send a ping task to the Celery workers and wait until one of them has run it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=60.0, help="seconds to wait (default 60)"
        )
        parser.add_argument(
            "--queue", default="default", help="queue to send the ping to (default: default)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = secrets.token_hex(8)
        started = time.monotonic()
        worker_ping.apply_async(kwargs={"token": token}, queue=options["queue"])
        deadline = started + options["timeout"]
        while time.monotonic() < deadline:
            ran_at = cache.get(WORKER_PING_KEY.format(token=token))
            if ran_at:
                elapsed = time.monotonic() - started
                self.stdout.write(
                    self.style.SUCCESS(f"worker ran the ping task in {elapsed:.1f}s (at {ran_at})")
                )
                return
            time.sleep(0.2)
        raise CommandError(
            f"no worker ran the ping task within {options['timeout']:.0f}s: is a Celery worker "
            f"consuming the {options['queue']!r} queue of this broker?"
        )
