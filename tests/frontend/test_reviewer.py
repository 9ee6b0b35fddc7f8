"""Reviewer pages: queues per group (oldest first, SLA colour), the review page, decisions with
checklists and reasons, waivers, my reviews; a reviewer acts only for their groups."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from certification import workflow
from certification.workflow import Status
from common import roles
from tests.frontend.conftest import client_for
from tests.frontend.factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def core(make_user: Callable[..., User]) -> User:
    return make_user("core", groups=(roles.CORE_COMMITTERS,))


@pytest.fixture
def qa(make_user: Callable[..., User]) -> User:
    return make_user("qa-person", groups=(roles.QA,))


def checklist_post(stage: str, **extra: str) -> dict[str, str]:
    data = {f"check_{item.key}": "on" for item in workflow.checklist_for(stage)}
    data.update(extra)
    return data


def test_queue_lists_basic_reviews_for_core_committers_oldest_first(
    developer: User, core: User, make_user: Callable[..., User]
) -> None:
    first = submit(developer, "com.example.first")
    second = submit(make_user("dev2"), "com.example.second")
    # The first one has waited a week: overdue.
    from certification.models import Submission  # test set-up only

    Submission.objects.filter(pk=first.pk).update(
        status_changed_at=first.status_changed_at - timedelta(days=7)
    )
    response = client_for(core).get(reverse("frontend:review-queue"))
    assert response.status_code == 200
    queues = {group: items for group, _, items in response.context["queues"]}
    assert [s.pk for s in queues[roles.CORE_COMMITTERS]] == [first.pk, second.pk]
    html = response.content.decode()
    assert "sla-late" in html and "overdue" in html


def test_queue_needs_a_reviewer_group(developer: User) -> None:
    assert client_for(developer).get(reverse("frontend:review-queue")).status_code == 403
    assert Client().get(reverse("frontend:review-queue")).status_code == 302


def test_approve_needs_every_checklist_item(developer: User, core: User) -> None:
    submission = submit(developer)
    client = client_for(core)
    url = reverse("frontend:review-decide", args=[submission.pk])
    partial = checklist_post(Status.BASIC_REVIEW, decision="approve")
    partial.pop(next(iter(partial)))
    response = client.post(url, partial)
    assert response.status_code == 400
    assert any("Tick this to approve" in str(e) for e in response.context["form"].errors.values())
    submission.refresh_from_db()
    assert submission.status == Status.BASIC_REVIEW
    response = client.post(url, checklist_post(Status.BASIC_REVIEW, decision="approve"))
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.CI_SETUP
    mine = client.get(reverse("frontend:my-reviews")).content.decode()
    assert "Approve" in mine and submission.name in mine


def test_request_changes_needs_reason_and_text(developer: User, core: User) -> None:
    submission = submit(developer)
    client = client_for(core)
    url = reverse("frontend:review-decide", args=[submission.pk])
    response = client.post(url, {"decision": "changes", "text": "typed text stays"})
    assert response.status_code == 400
    assert "reason_code" in response.context["form"].errors
    assert "typed text stays" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == Status.BASIC_REVIEW
    client.post(url, {"decision": "changes", "reason_code": "documentation", "text": "README?"})
    submission.refresh_from_db()
    assert submission.status == Status.CHANGES_REQUESTED


def test_reviewer_acts_only_for_their_groups(developer: User, qa: User) -> None:
    submission = submit(developer)  # in basic review: core committers' stage
    client = client_for(qa)
    page = client.get(reverse("frontend:review-detail", args=[submission.pk]))
    # QA does not see basic reviews at all (certification's visibility rule).
    assert page.status_code == 404
    response = client.post(
        reverse("frontend:review-decide", args=[submission.pk]),
        checklist_post(Status.BASIC_REVIEW, decision="approve"),
    )
    assert response.status_code == 404
    submission.refresh_from_db()
    assert submission.status == Status.BASIC_REVIEW


def test_nobody_signs_off_their_own_submission(make_user: Callable[..., User]) -> None:
    committer = make_user("selfie", groups=(roles.CORE_COMMITTERS,))
    submission = submit(committer)
    client = client_for(committer)
    page = client.get(reverse("frontend:review-detail", args=[submission.pk]))
    assert page.status_code == 200
    assert page.context["can_act"] is False
    assert "your own submission" in page.content.decode()
    client.post(
        reverse("frontend:review-decide", args=[submission.pk]),
        checklist_post(Status.BASIC_REVIEW, decision="approve"),
    )
    submission.refresh_from_db()
    assert submission.status == Status.BASIC_REVIEW


def test_review_page_shows_code_without_template_and_checklist(developer: User, core: User) -> None:
    submission = submit(developer)
    page = client_for(core).get(reverse("frontend:review-detail", args=[submission.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "server/plugin.go" in html  # the plugin's own code is shown
    for item in workflow.checklist_for(Status.BASIC_REVIEW):
        assert escape(item.text) in html
    assert "Record my decision" in html


def test_queue_and_my_submissions_query_counts_do_not_grow(
    developer: User, core: User, django_assert_max_num_queries
) -> None:
    submit(developer, "com.example.a")
    review_client, dev_client = client_for(core), client_for(developer)

    def measure() -> None:
        with django_assert_max_num_queries(12):
            assert review_client.get(reverse("frontend:review-queue")).status_code == 200
        with django_assert_max_num_queries(12):
            assert dev_client.get(reverse("frontend:submission-list")).status_code == 200

    measure()
    for i in range(4):
        submit(developer, f"com.example.more{i}")
    measure()


def test_security_reviewer_waives_a_blocking_finding_with_a_justification(
    developer: User, make_user: Callable[..., User]
) -> None:
    from django.test import TestCase

    from certification.selectors import finding_list
    from certification.services.scans import scans_start

    submission = submit(developer, licence_file=False)  # no LICENSE: a blocking finding
    with TestCase.captureOnCommitCallbacks(execute=True):
        scans_start(submission=submission)
    submission.refresh_from_db()
    blockers = [f for f in finding_list(submission=submission) if f.is_open_blocker]
    assert blockers, "the licence check should block a source without LICENSE"
    finding = blockers[0]
    sec = make_user("sec", groups=(roles.SECURITY_REVIEWERS, roles.CORE_COMMITTERS))
    client = client_for(sec)
    page = client.get(reverse("frontend:review-detail", args=[submission.pk]))
    html = page.content.decode()
    assert reverse("frontend:finding-waive", args=[finding.pk]) in html
    assert finding.file in html or finding.message in html
    url = reverse("frontend:finding-waive", args=[finding.pk])
    # A core committer without the security role cannot waive.
    core_only = client_for(make_user("core2", groups=(roles.CORE_COMMITTERS,)))
    core_only.post(url, {"justification": "Looks harmless to me, honestly."})
    finding.refresh_from_db()
    assert finding.waived_at is None
    client.post(url, {"justification": "short"})
    finding.refresh_from_db()
    assert finding.waived_at is None
    client.post(url, {"justification": "LICENSE lives in the parent repository; checked by hand."})
    finding.refresh_from_db()
    assert finding.waived_at is not None and finding.waived_by == sec


def test_approval_message_keeps_the_stage_name_as_written(developer: User, qa: User) -> None:
    from certification.models import Submission  # test set-up only: skip to the QA pass

    submission = submit(developer)
    Submission.objects.filter(pk=submission.pk).update(status=Status.QA)
    client = client_for(qa)
    response = client.post(
        reverse("frontend:review-decide", args=[submission.pk]),
        checklist_post(Status.QA, decision="approve"),
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [f"You approved the QA pass of {submission.name}."], shown


def test_already_approved_note_is_a_wrapping_notice_not_a_badge(
    developer: User, core: User
) -> None:
    # A sentence in a one-line badge (white-space: nowrap) widened the page on phones.
    from django.test import TestCase

    from certification.models import Submission  # test set-up only: skip to the release review
    from certification.services.scans import scans_start

    submission = submit(developer)
    Submission.objects.filter(pk=submission.pk).update(status=Status.RELEASE_REVIEW)
    with TestCase.captureOnCommitCallbacks(execute=True):
        scans_start(submission=submission)
    client = client_for(core)
    decided = client.post(
        reverse("frontend:review-decide", args=[submission.pk]),
        checklist_post(Status.RELEASE_REVIEW, decision="approve"),
    )
    assert decided.status_code == 302, decided.context["form"].errors
    html = client.get(reverse("frontend:review-detail", args=[submission.pk])).content.decode()
    note = "You approved this revision already; a second reviewer is needed."
    assert re.search(r'<ul class="messages"><li class="success">' + re.escape(note), html), html
    assert not re.search(r'class="badge[^"]*">' + re.escape(note), html)
