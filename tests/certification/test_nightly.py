"""Nightly builds over real HTTP: a local file server, the live portal's host servers."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from certification.models import BuildStatus, NightlyBuild, Submission
from certification.services.nightly import nightly_request_now, nightly_schedule_all
from certification.workflow import Status
from hostserver.models import HostPlugin
from tests.certification.conftest import PLUGIN_ID, force_status, server_bundle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ci_submission(submit, file_server):
    url = f"{file_server.url}/nightly/{PLUGIN_ID}.tar.gz"
    (file_server.root / "nightly").mkdir()
    return force_status(submit(nightly_url=url), Status.CI_SETUP)


def publish_nightly(file_server, data: bytes) -> None:
    (file_server.root / "nightly" / f"{PLUGIN_ID}.tar.gz").write_bytes(data)


def pull(submission, actor):
    build = nightly_request_now(submission_id=submission.pk, actor=actor)  # eager task on commit
    build.refresh_from_db()
    return build


def test_green_build_deploys_to_ci_extensions_and_passes_the_stage(
    ci_submission, file_server, live_hosts, developer, settings
):
    settings.CERTIFICATION_SCANNER_PATHS = {}
    publish_nightly(file_server, server_bundle(PLUGIN_ID, "1.0.1"))
    build = pull(ci_submission, developer)
    assert build.status == BuildStatus.PASSED, build.log
    assert (build.http_status, build.manifest_version, build.deployed) == (200, "1.0.1", True)
    assert build.deployment_state == "Running" and build.size and len(build.sha256) == 64
    plugin = HostPlugin.objects.get(host=live_hosts["ci-extensions"], plugin_id=PLUGIN_ID)
    assert plugin.version == "1.0.1"
    ci_submission.refresh_from_db()
    assert ci_submission.status == Status.RELEASE_REVIEW
    # The same bytes again: recorded as unchanged, not redeployed.
    again = pull(ci_submission, developer)
    assert again.status == BuildStatus.UNCHANGED and not again.deployed
    plugin.refresh_from_db()
    assert plugin.generation == HostPlugin.objects.get(pk=plugin.pk).generation


def test_404_is_recorded_readably_without_retries(ci_submission, developer):
    build = pull(ci_submission, developer)
    assert build.status == BuildStatus.FAILED
    assert build.http_status == 404 and "HTTP 404" in build.reason
    assert build.attempt == 1
    ci_submission.refresh_from_db()
    assert ci_submission.status == Status.CI_SETUP


def test_garbage_is_not_a_bundle(ci_submission, file_server, developer):
    publish_nightly(file_server, b"<html>not a bundle</html>")
    build = pull(ci_submission, developer)
    assert build.status == BuildStatus.FAILED and "Not a valid plugin bundle" in build.reason


def test_oversize_is_refused(ci_submission, file_server, developer, settings):
    settings.CERTIFICATION_NIGHTLY_MAX_BYTES = 100
    publish_nightly(file_server, server_bundle(PLUGIN_ID))
    build = pull(ci_submission, developer)
    assert build.status == BuildStatus.FAILED and "Too large" in build.reason


def test_wrong_plugin_id_is_refused(ci_submission, file_server, developer):
    publish_nightly(file_server, server_bundle("com.example.other"))
    build = pull(ci_submission, developer)
    assert build.status == BuildStatus.FAILED and "com.example.other" in build.reason


@pytest.fixture
def slow_server():
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(2)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/nightly.tar.gz"
    server.shutdown()
    server.server_close()


def test_timeouts_are_retried_a_bounded_number_of_times(submit, slow_server, settings):
    from certification.services.nightly import TransientBuildError, nightly_execute
    from certification.tasks import MAX_RETRIES, nightly_pull_task

    settings.CERTIFICATION_NIGHTLY_TIMEOUT = 0.3
    s = force_status(submit(nightly_url=slow_server), Status.CI_SETUP)
    build = NightlyBuild.objects.create(submission=s, url=slow_server)  # no task queued
    # A first attempt that times out goes back to the queue for a retry with backoff.
    with pytest.raises(TransientBuildError, match="did not answer"):
        nightly_execute(build_id=build.pk, task_id="t-1", final_attempt=False)
    build.refresh_from_db()
    assert build.status == BuildStatus.QUEUED and build.attempt == 1
    # The last allowed retry (run through Celery with its retry count) gives up readably.
    nightly_pull_task.apply(kwargs={"build_id": build.pk}, task_id="t-1", retries=MAX_RETRIES)
    build.refresh_from_db()
    assert build.status == BuildStatus.FAILED and "gave up" in build.reason
    assert build.attempt == 2 and "did not answer" in build.log
    assert NightlyBuild.objects.count() == 1


def test_red_build_of_a_certified_plugin_notifies_its_owner(submit, file_server, developer):
    (file_server.root / "nightly").mkdir()
    url = f"{file_server.url}/nightly/{PLUGIN_ID}.tar.gz"
    s = force_status(submit(nightly_url=url), Status.CERTIFIED)
    mail.outbox.clear()
    assert len(nightly_schedule_all()) == 1
    assert NightlyBuild.objects.get().status == BuildStatus.FAILED
    assert any("dev@example.com" in m.to and "Nightly build" in m.subject for m in mail.outbox)
    assert Submission.objects.get(pk=s.pk).status == Status.CERTIFIED
