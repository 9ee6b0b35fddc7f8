import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from certification import workflow
from certification.services import stage_approve
from certification.services.notify import notify_event
from certification.workflow import Status
from tests.certification.conftest import force_status


@pytest.fixture
def webhook_receiver():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/abc", received
    server.shutdown()
    server.server_close()


def _approve_basic(submission, actor):
    checklist = {i.key: True for i in workflow.CHECKLISTS[Status.BASIC_REVIEW]}
    return stage_approve(submission_id=submission.pk, actor=actor, checklist=checklist)


def test_state_change_emails_the_developer_and_the_next_stage(submit, core, core2, developer):
    s = force_status(submit(), Status.BASIC_REVIEW)
    _approve_basic(s, core)
    event = s.events.get(to_status=Status.CI_SETUP)
    mail.outbox.clear()
    notify_event(event_id=event.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "is now ci setup" in message.subject
    # The developer and the CI-stage committers hear about it; the actor does not.
    assert set(message.to) == {"dev@example.com", "core2@example.com"}


def test_webhook_gets_a_real_post(submit, core, settings, webhook_receiver):
    url, received = webhook_receiver
    settings.MATTERMOST_WEBHOOK_URL = url
    s = force_status(submit(), Status.BASIC_REVIEW)
    _approve_basic(s, core)
    notify_event(event_id=s.events.get(to_status=Status.CI_SETUP).pk)
    assert len(received) == 1
    assert "Weather (com.example.weather) is now ci setup" in received[0]["text"]


def test_no_webhook_configured_sends_email_only(submit, core, settings, webhook_receiver):
    _url, received = webhook_receiver
    settings.MATTERMOST_WEBHOOK_URL = ""
    s = force_status(submit(), Status.BASIC_REVIEW)
    _approve_basic(s, core)
    mail.outbox.clear()
    notify_event(event_id=s.events.get(to_status=Status.CI_SETUP).pk)
    assert received == [] and len(mail.outbox) == 1


def test_after_commit_the_notification_task_sends_the_email(
    submit, core, django_capture_on_commit_callbacks
):
    from certification.models import PendingTask
    from certification.services import stage_request_changes

    s = force_status(submit(), Status.BASIC_REVIEW)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stage_request_changes(
            submission_id=s.pk, actor=core, reason_code="documentation", text="Add a README"
        )
    assert [m.to for m in mail.outbox] == [["dev@example.com"]]
    assert "Add a README" in mail.outbox[0].body
    notify = PendingTask.objects.get(task_name="certification.tasks.notify_event_task",
                                     kwargs__event_id=s.events.last().pk)  # fmt: skip
    assert notify.sent_at is not None


def test_a_failing_webhook_does_not_silence_email(submit, core, settings):
    settings.MATTERMOST_WEBHOOK_URL = "http://127.0.0.1:9/hooks/nobody-listens"
    s = force_status(submit(), Status.BASIC_REVIEW)
    _approve_basic(s, core)
    mail.outbox.clear()
    assert notify_event(event_id=s.events.get(to_status=Status.CI_SETUP).pk) == 1
    assert len(mail.outbox) == 1
