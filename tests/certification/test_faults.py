"""Faults with a real Celery worker (a subprocess on the test database and the real broker):
a broker that is down at submit time, and a worker killed in the middle of a pull."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery import current_app
from django.conf import settings
from django.db import transaction

from certification.models import BuildStatus, NightlyBuild, PendingTask, Submission
from certification.services.jobs import reap_stale
from certification.services.nightly import nightly_request_now
from certification.services.outbox import outbox_sweep
from certification.workflow import Status
from tests.certification.conftest import force_status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, log_path, env: dict[str, str]) -> None:
        self.log_path = log_path
        self.extra_env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.test_settings",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": _database_url(),
            "PORTAL_VAR_DIR": str(settings.VAR_DIR),
            **self.extra_env,
        }
        cmd = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", "solo",
               "-Q", "default,builds,scans", "--without-mingle", "--without-gossip",
               "-l", "info", "-n", f"cert-test-{os.getpid()}@%h"]  # fmt: skip
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@pytest.fixture
def not_eager() -> Iterator[None]:
    """The test process enqueues for real (through the broker) instead of running inline."""
    conf = current_app.conf
    before = conf.task_always_eager
    conf.task_always_eager = False
    yield
    conf.task_always_eager = before


@pytest.fixture
def isolated_broker() -> Iterator[dict[str, str]]:
    """With Redis (CI), a Redis database of this test process's own, so that workers started
    by parallel test processes never take each other's tasks. The filesystem broker already
    lives in the per-process PORTAL_VAR_DIR."""
    if not settings.REDIS_URL:
        yield {}
        return
    import redis

    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    url = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{12 + index % 4}"
    redis.Redis.from_url(url).flushdb()  # stale messages of an earlier run
    app = current_app._get_current_object()
    real = app.conf.broker_url
    app.conf.broker_url = url
    app._after_fork()
    yield {"REDIS_URL": url}
    app.conf.broker_url = real
    app._after_fork()


@pytest.fixture
def worker(tmp_path, not_eager, isolated_broker) -> Iterator[Worker]:
    w = Worker(tmp_path / "worker.log", isolated_broker)
    yield w
    w.stop()


def wait_for(condition: Callable[[], bool], what: str, worker: Worker, timeout=90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pending = list(PendingTask.objects.values_list("task_name", "sent_at", "last_error"))
    pytest.fail(f"timed out waiting for {what}; outbox {pending}; worker log:\n{worker.output()}")


@pytest.fixture
def broker_down(isolated_broker) -> Iterator[Callable[[], None]]:
    """Point this process's producer at a broker that is not there; call the result to heal."""
    app = current_app._get_current_object()
    real = app.conf.broker_url
    real_options = dict(app.conf.broker_transport_options or {})

    def reset_pool() -> None:
        # Drop the cached connection and producer pools (as Celery does after a fork) so the
        # next send connects to the broker named in the configuration.
        app._after_fork()

    app.conf.broker_url = "redis://127.0.0.1:9/0"  # discard port: nothing listens
    app.conf.broker_transport_options = {"socket_connect_timeout": 1}
    reset_pool()

    def heal() -> None:
        app.conf.broker_url = real
        app.conf.broker_transport_options = real_options
        reset_pool()

    yield heal
    heal()


def test_broker_down_at_submit_saves_the_submission_and_runs_later(submit, worker, broker_down):
    submission = submit()
    # Saved, with its follow-up work waiting in the outbox.
    assert Submission.objects.get(pk=submission.pk).status == Status.SUBMITTED
    unsent = PendingTask.objects.filter(sent_at__isnull=True)
    assert unsent.filter(task_name="certification.tasks.intake_task").exists()
    assert unsent.first().last_error  # the reason it could not be sent
    broker_down()  # the broker is back
    worker.start()
    sent, left = outbox_sweep(older_than=timedelta(0))
    assert sent >= 1 and left == 0
    wait_for(
        lambda: Submission.objects.get(pk=submission.pk).status == Status.BASIC_REVIEW,
        "the intake to run on the worker",
        worker,
    )


@pytest.fixture
def hanging_server() -> Iterator[str]:
    """A nightly URL that answers after a long time (the worker is killed meanwhile)."""
    release = threading.Event()

    class Hang(BaseHTTPRequestHandler):
        def do_GET(self):
            release.wait(60)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/nightly.tar.gz"
    release.set()
    server.shutdown()
    server.server_close()


def test_worker_killed_mid_pull_is_reaped_and_a_rerun_adds_no_rows(
    submit, developer, worker, hanging_server
):
    s = force_status(submit(nightly_url=hanging_server), Status.CI_SETUP)
    worker.start()
    build = nightly_request_now(submission_id=s.pk, actor=developer)
    wait_for(
        lambda: NightlyBuild.objects.get(pk=build.pk).status == BuildStatus.RUNNING,
        "the worker to start the pull",
        worker,
    )
    worker.kill()  # mid-download
    row = NightlyBuild.objects.get(pk=build.pk)
    assert row.status == BuildStatus.RUNNING and row.task_id
    # The reaper fails the stale row with a message a person can act on.
    assert reap_stale(older_than=timedelta(0))["builds"] == 1
    row.refresh_from_db()
    assert row.status == BuildStatus.FAILED and "worker stopped" in row.reason
    # The same task delivered again (as acks_late does) finds the row finished: no new rows.
    worker.start()
    current_app.send_task("certification.tasks.nightly_pull_task", kwargs={"build_id": build.pk})
    marker = PendingTask.objects.count()
    time.sleep(3)
    assert NightlyBuild.objects.filter(submission=s).count() == 1
    assert NightlyBuild.objects.get(pk=build.pk).status == BuildStatus.FAILED
    assert PendingTask.objects.count() == marker


BAD_GO = 'package main\n\nimport "os/exec"\n\nfunc run(c string) {\n\texec.Command(c).Run()\n}\n'


def test_worker_killed_mid_scan_is_reaped_and_the_rerun_has_no_duplicates(
    submit, core, security, worker
):
    from certification.models import Finding, JobStatus, ScanRun
    from certification.services import SourceInput, scan_rerun
    from certification.services.scans import scans_start
    from tests.certification.conftest import make_source

    big = {f"server/gen{i}.go": BAD_GO * 40 for i in range(40)}  # a few seconds of semgrep
    s = submit(source=SourceInput(archive=make_source(**big), filename="s.tar.gz"))
    s = force_status(s, Status.RELEASE_REVIEW)
    worker.start()
    with transaction.atomic():
        runs = {r.tool: r for r in scans_start(submission=s)}
    semgrep_run = runs["semgrep"]
    wait_for(
        lambda: ScanRun.objects.get(pk=semgrep_run.pk).status == JobStatus.RUNNING,
        "the worker to start semgrep",
        worker,
    )
    worker.kill()
    assert ScanRun.objects.get(pk=semgrep_run.pk).status == JobStatus.RUNNING
    reap_stale(older_than=timedelta(0))
    row = ScanRun.objects.get(pk=semgrep_run.pk)
    assert row.status == JobStatus.FAILED and "re-run the scan" in row.error
    assert not Finding.objects.filter(scan=row).exists()  # nothing half-written
    worker.start()
    scan_rerun(scan_id=row.pk, actor=security)
    wait_for(
        lambda: ScanRun.objects.get(pk=row.pk).status == JobStatus.SUCCEEDED,
        "the re-run scan",
        worker,
        timeout=180,
    )
    findings = Finding.objects.filter(scan=row)
    assert findings.count() == 40 * 40
    assert findings.values("file", "line").distinct().count() == findings.count()
    assert ScanRun.objects.filter(revision=s.current_revision, tool="semgrep").count() == 1
