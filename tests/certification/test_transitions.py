import pytest

from certification import workflow
from certification.models import AuditEvent, Finding, JobStatus, Review, ScanRun
from certification.services import (
    finding_waive,
    stage_approve,
    stage_reject,
    stage_request_changes,
)
from certification.services.scans import scans_start
from certification.services.transitions import ci_pass
from certification.workflow import Status
from common.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from tests.certification.conftest import force_status, pending


def ticked(stage, *, as_security=False):
    return {i.key: True for i in workflow.checklist_for(stage, as_security=as_security)}


@pytest.fixture
def in_basic_review(submit):
    return force_status(submit(), Status.BASIC_REVIEW)


def test_core_committer_approves_basic_review_with_full_checklist(in_basic_review, core):
    s = stage_approve(
        submission_id=in_basic_review.pk, actor=core, checklist=ticked(Status.BASIC_REVIEW)
    )
    assert s.status == Status.CI_SETUP and s.basic_reviewer == core
    event = AuditEvent.objects.filter(submission=s).last()
    assert (event.actor, event.from_status, event.to_status) == (core, "basic_review", "ci_setup")
    assert Review.objects.get(submission=s).decision == "approve"
    # Entering CI setup queues a nightly pull; every move queues a notification.
    assert len(pending("nightly_pull_task")) == 1
    assert {"event_id": event.pk} in pending("notify_event_task")


def test_incomplete_checklist_is_refused_and_nothing_changes(in_basic_review, core):
    items = ticked(Status.BASIC_REVIEW)
    items[next(iter(items))] = False
    with pytest.raises(InvalidInput, match="tick every checklist item"):
        stage_approve(submission_id=in_basic_review.pk, actor=core, checklist=items)
    in_basic_review.refresh_from_db()
    assert in_basic_review.status == Status.BASIC_REVIEW
    assert not Review.objects.exists()


def test_nobody_signs_off_their_own_submission(submit, core):
    own = force_status(submit(owner=core), Status.BASIC_REVIEW)
    with pytest.raises(NotAllowed, match="own submission"):
        stage_approve(submission_id=own.pk, actor=core, checklist=ticked(Status.BASIC_REVIEW))
    assert not Review.objects.exists()


def test_wrong_role_cannot_approve(in_basic_review, qa):
    with pytest.raises(NotAllowed):
        stage_approve(
            submission_id=in_basic_review.pk, actor=qa, checklist=ticked(Status.BASIC_REVIEW)
        )
    in_basic_review.refresh_from_db()
    assert in_basic_review.status == Status.BASIC_REVIEW


def test_reject_needs_a_catalogue_reason_and_text(in_basic_review, core):
    with pytest.raises(InvalidInput):
        stage_reject(submission_id=in_basic_review.pk, actor=core, reason_code="meh", text="x")
    with pytest.raises(InvalidInput):
        stage_reject(submission_id=in_basic_review.pk, actor=core, reason_code="policy", text=" ")
    s = stage_reject(
        submission_id=in_basic_review.pk, actor=core, reason_code="policy", text="Spam plugin"
    )
    assert s.status == Status.REJECTED
    assert "Spam plugin" in s.status_message
    with pytest.raises(InvalidTransition):
        stage_request_changes(submission_id=s.pk, actor=core, reason_code="other", text="late")


def test_request_changes_records_the_stage_that_asked(in_basic_review, core):
    s = stage_request_changes(
        submission_id=in_basic_review.pk, actor=core, reason_code="documentation", text="README"
    )
    assert (s.status, s.return_stage) == (Status.CHANGES_REQUESTED, Status.BASIC_REVIEW)


def test_ci_pass_moves_on_once_and_starts_scans(submit):
    s = force_status(submit(), Status.CI_SETUP)
    ci_pass(submission_id=s.pk, build_id=0)
    ci_pass(submission_id=s.pk, build_id=0)  # a second run does nothing
    s.refresh_from_db()
    assert s.status == Status.RELEASE_REVIEW
    assert ScanRun.objects.filter(revision=s.current_revision).count() == 4
    assert len(pending("scan_task")) == 4
    assert s.events.filter(action="pass_ci").count() == 1


@pytest.fixture
def in_release_review(submit):
    s = force_status(submit(), Status.RELEASE_REVIEW)
    scans_start(submission=s)
    ScanRun.objects.update(status=JobStatus.SUCCEEDED)
    return s


def test_release_review_needs_two_approvals_one_from_security(
    in_release_review, core, core2, security
):
    sid = in_release_review.pk
    rr = Status.RELEASE_REVIEW
    s = stage_approve(submission_id=sid, actor=core, checklist=ticked(rr))
    assert s.status == rr and "second approval" in s.status_message
    with pytest.raises(Conflict):
        stage_approve(submission_id=sid, actor=core, checklist=ticked(rr))
    s = stage_approve(submission_id=sid, actor=core2, checklist=ticked(rr))
    assert s.status == rr and "security" in s.status_message
    with pytest.raises(InvalidInput):  # security reviewers tick the security items too
        stage_approve(submission_id=sid, actor=security, checklist=ticked(rr))
    s = stage_approve(submission_id=sid, actor=security, checklist=ticked(rr, as_security=True))
    assert s.status == Status.QA
    # Approval deploys the release to ci-extensions-release.
    assert len(pending("deploy_task")) == 1


def test_blocking_findings_block_release_approval_until_waived(
    in_release_review, core, security, developer
):
    scan = ScanRun.objects.get(tool="semgrep")
    finding = Finding.objects.create(
        scan=scan, submission=in_release_review, tool="semgrep", rule_id="go-exec-non-constant",
        severity="high", file="server/main.go", line=3, message="exec", blocking=True,
    )  # fmt: skip
    with pytest.raises(Conflict, match="blocking"):
        stage_approve(
            submission_id=in_release_review.pk, actor=core, checklist=ticked(Status.RELEASE_REVIEW)
        )
    with pytest.raises(NotAllowed):
        finding_waive(finding_id=finding.pk, actor=core, justification="argv is fixed upstream")
    with pytest.raises(NotAllowed):
        finding_waive(finding_id=finding.pk, actor=developer, justification="trust me please")
    with pytest.raises(InvalidInput):
        finding_waive(finding_id=finding.pk, actor=security, justification="ok")
    finding_waive(
        finding_id=finding.pk, actor=security, justification="The command is a fixed binary."
    )
    s = stage_approve(
        submission_id=in_release_review.pk, actor=core, checklist=ticked(Status.RELEASE_REVIEW)
    )
    assert s.status == Status.RELEASE_REVIEW  # first approval recorded
    assert s.events.filter(action="waive_finding").exists()


def test_failed_scan_blocks_approval(in_release_review, core):
    ScanRun.objects.filter(tool="bandit").update(status=JobStatus.FAILED, error="boom")
    with pytest.raises(Conflict, match="bandit"):
        stage_approve(
            submission_id=in_release_review.pk, actor=core, checklist=ticked(Status.RELEASE_REVIEW)
        )
    assert not Review.objects.exists()


def test_qa_then_pm_ux_certifies_and_publishes_in_the_catalog(
    submit, qa, pm, client, portal_keyring
):
    from marketplace.selectors import release_get

    s = force_status(submit(), Status.QA)
    s = stage_approve(submission_id=s.pk, actor=qa, checklist=ticked(Status.QA))
    assert s.status == Status.PM_UX
    with pytest.raises(NotAllowed):
        stage_approve(submission_id=s.pk, actor=qa, checklist=ticked(Status.PM_UX))
    s = stage_approve(submission_id=s.pk, actor=pm, checklist=ticked(Status.PM_UX))
    assert s.status == Status.CERTIFIED and s.certified_at is not None
    release = release_get(s.plugin_id, "1.0.0")
    assert release.certified and release.certified_by == pm
    listed = client.get("/api/v1/plugins").json()
    assert any(p["manifest"]["id"] == s.plugin_id for p in listed)
    # Certified: installed on the community host server by a queued deployment.
    assert len(pending("deploy_task")) == 1


def test_pm_ux_certifies_a_version_already_listed_uncertified(submit, pm, portal_keyring):
    import io

    from marketplace.selectors import release_get
    from marketplace.services import release_publish
    from tests.certification.conftest import make_bundle

    s = force_status(submit(), Status.PM_UX)
    release_publish(bundle=io.BytesIO(make_bundle()), author_type="community", release_stage="beta")
    stage_approve(submission_id=s.pk, actor=pm, checklist=ticked(Status.PM_UX))
    assert release_get(s.plugin_id, "1.0.0").certified


def test_pm_ux_approval_rolls_back_when_publishing_fails(submit, pm):
    from django.core.files.storage import default_storage

    from marketplace.selectors import release_list

    s = force_status(submit(), Status.PM_UX)
    default_storage.delete(s.current_revision.bundle.name)  # storage lost the bundle
    with pytest.raises(FileNotFoundError):
        stage_approve(submission_id=s.pk, actor=pm, checklist=ticked(Status.PM_UX))
    s.refresh_from_db()
    assert s.status == Status.PM_UX
    assert not Review.objects.filter(stage=Status.PM_UX).exists()
    assert not release_list(plugin_id=s.plugin_id).exists()


def test_plugin_listed_in_the_catalog_by_someone_else_cannot_be_submitted(submit, portal_keyring):
    import io

    from marketplace.services import release_publish
    from tests.certification.conftest import make_bundle

    release_publish(bundle=io.BytesIO(make_bundle()), author_type="community", release_stage="beta")
    with pytest.raises(NotAllowed, match="already in the catalog"):
        submit()


def test_resubmit_after_release_review_rescans_the_new_revision(in_release_review, core, developer):
    from certification.services import SourceInput, submission_resubmit
    from tests.certification.conftest import make_bundle, make_source

    stage_request_changes(
        submission_id=in_release_review.pk, actor=core, reason_code="security", text="Fix exec"
    )
    submission_resubmit(
        submission_id=in_release_review.pk,
        actor=developer,
        bundle=make_bundle(version="1.0.1"),
        source=SourceInput(archive=make_source(version="1.0.1"), filename="fixed.tar.gz"),
    )
    s = in_release_review
    s.refresh_from_db()
    assert s.status == Status.RELEASE_REVIEW and s.current_revision.number == 2
    new_scans = ScanRun.objects.filter(revision=s.current_revision)
    assert new_scans.count() == 4 and {r.status for r in new_scans} == {JobStatus.QUEUED}
    # Approvals of revision 1 do not count for revision 2: scans must finish first.
    with pytest.raises(Conflict, match="scans still running"):
        stage_approve(submission_id=s.pk, actor=core, checklist=ticked(Status.RELEASE_REVIEW))
