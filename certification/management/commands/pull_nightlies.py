"""Pull nightly builds now (all active submissions, or the given ones)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from certification.models import Submission
from certification.services.nightly import nightly_request, nightly_schedule_all
from certification.services.schedule import periodic_tasks_ensure


class Command(BaseCommand):
    help = "Queue nightly-build pulls now; --install-schedule (re)installs the beat schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("submission_ids", nargs="*", type=int)
        parser.add_argument("--install-schedule", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["install_schedule"]:
            rows = periodic_tasks_ensure()
            self.stdout.write(f"schedule installed: {', '.join(r.name for r in rows)}")
            return
        if options["submission_ids"]:
            ids = []
            for submission in Submission.objects.filter(pk__in=options["submission_ids"]):
                with transaction.atomic():
                    ids.append(
                        nightly_request(submission=submission, trigger="manual", actor=None).pk
                    )
        else:
            ids = nightly_schedule_all()
        self.stdout.write(f"{len(ids)} nightly pull(s) queued: {ids}")
