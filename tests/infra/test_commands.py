"""The project's own management commands: load_demo and check_worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from portal.celery import app as celery_app
from portal.management.commands import load_demo
from tests.conftest import REPO_ROOT
from tests.infra import demo_parts


def _run_load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def stand_in_parts(monkeypatch):
    demo_parts.CALLS.clear()
    monkeypatch.setattr(
        load_demo,
        "DEMO_PARTS",
        (
            load_demo.DemoPart("present", (("tests.infra.demo_parts", "load_demo"),)),
            load_demo.DemoPart("absent", (("tests.infra.no_such_demo", "load_demo"),)),
        ),
    )


@pytest.mark.django_db
def test_load_demo_runs_each_available_part_and_lists_the_accounts(stand_in_parts):
    output = _run_load_demo()

    assert demo_parts.CALLS == ["load_demo"]
    assert "present: loaded (1 account)" in output
    assert "absent: no demo loader, skipped" in output
    assert "demo-admin" in output
    assert demo_parts.DEMO_PASSWORD in output


@pytest.mark.django_db
def test_load_demo_require_all_fails_when_a_part_has_no_loader(stand_in_parts):
    with pytest.raises(CommandError, match="no demo loader for: absent"):
        _run_load_demo("--require-all")


@pytest.mark.django_db
def test_load_demo_does_not_swallow_a_loader_error(monkeypatch):
    monkeypatch.setattr(
        load_demo,
        "DEMO_PARTS",
        (load_demo.DemoPart("broken", (("tests.infra.demo_parts", "broken"),)),),
    )

    with pytest.raises(RuntimeError, match="could not be built"):
        _run_load_demo()

    assert not User.objects.exists()


@pytest.mark.django_db
def test_load_demo_loads_every_app_and_is_idempotent():
    first = _run_load_demo()
    counts = _row_counts()
    second = _run_load_demo("--require-all")

    assert "skipped" not in first
    assert _row_counts() == counts
    assert "Demo accounts" in second
    assert counts["auth.User"] > 0


def test_check_worker_fails_when_no_worker_consumes_the_queue():
    queue = f"nobody-{uuid.uuid4().hex[:8]}"
    with _eager(False), pytest.raises(CommandError, match="no worker ran the ping task"):
        call_command("check_worker", "--timeout", "1.5", "--queue", queue, stdout=StringIO())


def test_check_worker_sees_a_real_worker_run_the_ping_through_the_broker():
    # Its own queue, so that on a shared Redis it neither steals nor is stolen from other tests.
    queue = f"ping-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.test_settings"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            f"--queues={queue}",
            f"--hostname={queue}@%h",
            "--loglevel=WARNING",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out = StringIO()
        with _eager(False):
            call_command("check_worker", "--timeout", "60", "--queue", queue, stdout=out)
        assert "worker ran the ping task" in out.getvalue()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


class _eager:
    """Send tasks through the broker for real (the test settings run them eagerly)."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __enter__(self) -> None:
        self.saved = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = self.value

    def __exit__(self, *exc: object) -> None:
        celery_app.conf.task_always_eager = self.saved
