from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from certification.models import BuildStatus, NightlyBuild
from certification.services.jobs import reap_stale
from certification.services.schedule import NIGHTLY_NAME, periodic_tasks_ensure
from certification.workflow import Status
from common.errors import InvalidInput
from tests.certification.conftest import force_status, pending


def test_schedule_follows_the_configured_pull_time(db, settings):
    settings.NIGHTLY_PULL_TIME = "03:15"
    periodic_tasks_ensure()
    periodic_tasks_ensure()  # idempotent
    nightly = PeriodicTask.objects.get(name=NIGHTLY_NAME)
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("3", "15")
    assert nightly.task == "certification.tasks.nightly_schedule_task"
    assert PeriodicTask.objects.filter(name__startswith="certification: ").count() == 3
    with pytest.raises(InvalidInput):
        periodic_tasks_ensure(pull_time="25:00")


def test_pull_nightlies_queues_one_pull_per_active_submission(submit, other_developer, capsys):
    force_status(submit(), Status.CI_SETUP)
    force_status(submit(owner=other_developer, plugin_id="com.example.b"), Status.BASIC_REVIEW)
    call_command("pull_nightlies")
    call_command("pull_nightlies")  # the first pull is still queued: reused, not duplicated
    assert NightlyBuild.objects.count() == 1
    assert len(pending("nightly_pull_task")) == 1
    assert "queued" in capsys.readouterr().out


def test_reaper_fails_only_stale_running_rows(submit):
    s = force_status(submit(), Status.CI_SETUP)
    old = NightlyBuild.objects.create(
        submission=s, url=s.nightly_url, status=BuildStatus.RUNNING,
        heartbeat_at=timezone.now() - timedelta(minutes=30),
    )  # fmt: skip
    assert reap_stale() == {"builds": 1, "scans": 0, "deployments": 0}
    old.refresh_from_db()
    assert old.status == BuildStatus.FAILED and "worker stopped" in old.reason
    fresh = NightlyBuild.objects.create(
        submission=s, url=s.nightly_url, status=BuildStatus.RUNNING, heartbeat_at=timezone.now()
    )
    assert reap_stale()["builds"] == 0
    fresh.refresh_from_db()
    assert fresh.status == BuildStatus.RUNNING
