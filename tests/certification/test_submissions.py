import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from certification.models import AuditEvent, PendingTask, SourceStatus, Submission
from certification.services import SourceInput, submission_resubmit, submission_withdraw
from certification.services.submissions import revision_intake
from certification.services.transitions import stage_request_changes
from certification.workflow import Status
from common.bundle.build import build_bundle
from common.errors import BundleRejected, Conflict, InvalidInput, NotAllowed
from tests.certification.conftest import (
    PLUGIN_ID,
    force_status,
    make_archive,
    make_bundle,
    make_source,
    manifest,
    pending,
    source_files,
)


def test_submit_stores_files_rows_and_an_audit_event(submit, developer):
    submission = submit()
    revision = submission.current_revision
    assert submission.status == Status.SUBMITTED
    assert submission.plugin_id == PLUGIN_ID and submission.version == "1.0.0"
    assert revision.number == 1 and revision.source_status == SourceStatus.READY
    assert default_storage.exists(revision.bundle.name)
    assert default_storage.exists(revision.source_archive.name)
    event = AuditEvent.objects.get(submission=submission)
    assert (event.actor, event.action) == (developer, "submit")
    assert pending("intake_task") == [{"revision_id": revision.pk}]


def test_intake_moves_an_archive_submission_to_basic_review(submit):
    submission = submit()
    revision_intake(revision_id=submission.current_revision_id)
    submission.refresh_from_db()
    assert submission.status == Status.BASIC_REVIEW
    assert submission.events.last().to_status == Status.BASIC_REVIEW


def test_source_archive_wrapper_folder_is_stripped(submit):
    from certification import sources

    submission = submit()
    with submission.current_revision.source_archive.open("rb") as fh:
        names = sorted(name for name, _ in sources.iter_files(fh.read()))
    assert names == ["LICENSE", "README.md", "plugin.json", "server/main.go"]


def test_invalid_manifest_writes_nothing(submit):
    bad = build_bundle({**manifest(), "version": "not-semver"}, {"webapp/dist/main.js": "x"})
    with pytest.raises(BundleRejected):
        submit(bundle=bad)
    assert not Submission.objects.exists()
    assert not PendingTask.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("licence", "WTFPL-9"),
        ("repository_url", "ftp://example.com/x"),
        ("nightly_url", "not a url"),
    ],
)
def test_bad_fields_are_refused_before_anything_is_stored(submit, field, value):
    with pytest.raises(InvalidInput):
        submit(**{field: value})
    assert not Submission.objects.exists()


def test_plugin_id_of_another_developer_is_refused(submit, other_developer):
    submit()
    with pytest.raises(NotAllowed):
        submit(owner=other_developer)
    assert Submission.objects.count() == 1


def test_second_submission_in_flight_for_the_same_plugin_conflicts(submit):
    submit()
    with pytest.raises(Conflict):
        submit(version="1.0.1")
    assert Submission.objects.count() == 1


def test_hostile_source_archive_is_refused(submit):
    evil = make_archive({"../../etc/passwd": "root"}, top="")
    with pytest.raises(InvalidInput, match="escapes"):
        submit(source=SourceInput(archive=evil, filename="evil.tar.gz"))
    assert not Submission.objects.exists()


def test_zip_source_archive_is_accepted(submit):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in source_files().items():
            zf.writestr(f"weather-main/{name}", content)
    submission = submit(source=SourceInput(archive=buf.getvalue(), filename="src.zip"))
    assert submission.current_revision.source_status == SourceStatus.READY


def test_both_archive_and_git_are_refused(submit):
    with pytest.raises(InvalidInput, match="not both"):
        submit(
            source=SourceInput(
                archive=make_source(), filename="a.tgz", git_url="file:///x", git_ref="main"
            )
        )


def _git_repo(tmp_path: Path, files: dict[str, str], branch: str = "main") -> str:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name, content in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(content)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "PATH": "/usr/bin:/bin"}  # fmt: skip
    for cmd in (["init", "-q", "-b", branch], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env)
    return f"file://{repo}"


def test_git_source_is_cloned_by_the_intake(submit, tmp_path):
    url = _git_repo(tmp_path, source_files())
    submission = submit(source=SourceInput(git_url=url, git_ref="main"))
    revision = submission.current_revision
    assert revision.source_status == SourceStatus.PENDING
    revision_intake(revision_id=revision.pk)
    revision.refresh_from_db()
    submission.refresh_from_db()
    assert revision.source_status == SourceStatus.READY
    assert default_storage.exists(revision.source_archive.name)
    assert submission.status == Status.BASIC_REVIEW


def test_git_clone_of_a_missing_ref_fails_the_intake_readably(submit, tmp_path):
    url = _git_repo(tmp_path, source_files())
    submission = submit(source=SourceInput(git_url=url, git_ref="no-such-branch"))
    revision_intake(revision_id=submission.current_revision_id)
    submission.refresh_from_db()
    assert submission.status == Status.CHANGES_REQUESTED
    assert "no-such-branch" in submission.status_message
    assert submission.return_stage == Status.SUBMITTED


def test_withdraw_by_owner_and_not_by_others(submit, developer, other_developer):
    submission = submit()
    with pytest.raises(NotAllowed):
        submission_withdraw(submission_id=submission.pk, actor=other_developer)
    submission_withdraw(submission_id=submission.pk, actor=developer, text="moving on")
    submission.refresh_from_db()
    assert submission.status == Status.WITHDRAWN
    # The plugin id is free again for a new submission.
    assert submission.is_terminal


def test_resubmit_after_changes_returns_to_the_stage_that_asked(submit, developer, core):
    submission = submit()
    force_status(submission, Status.BASIC_REVIEW)
    stage_request_changes(
        submission_id=submission.pk, actor=core, reason_code="code_quality", text="tidy up"
    )
    submission_resubmit(
        submission_id=submission.pk,
        actor=developer,
        bundle=make_bundle(version="1.0.1"),
        source=SourceInput(archive=make_source(version="1.0.1"), filename="s.tgz"),
        note="fixed",
    )
    submission.refresh_from_db()
    assert submission.status == Status.BASIC_REVIEW
    assert submission.version == "1.0.1"
    assert [r.number for r in submission.revisions.all()] == [1, 2]
    assert submission.revisions.get(number=1).version == "1.0.0"  # history kept


def test_resubmit_refuses_a_bundle_of_another_plugin(submit, developer, core):
    submission = submit()
    force_status(submission, Status.CHANGES_REQUESTED, return_stage=Status.BASIC_REVIEW)
    with pytest.raises(InvalidInput):
        submission_resubmit(
            submission_id=submission.pk, actor=developer, bundle=make_bundle("com.example.other")
        )
    assert submission.revisions.count() == 1


def test_resubmit_needs_changes_requested(submit, developer):
    submission = submit()
    with pytest.raises(Conflict):
        submission_resubmit(submission_id=submission.pk, actor=developer, bundle=make_bundle())
    assert submission.revisions.count() == 1


def test_links_in_a_source_archive_are_left_out_not_followed(submit):
    import gzip
    import io
    import tarfile

    from certification import sources

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in source_files().items():
            info = tarfile.TarInfo(f"repo/{name}")
            info.size = len(content.encode())
            tar.addfile(info, io.BytesIO(content.encode()))
        link = tarfile.TarInfo("repo/secrets")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/shadow"
        tar.addfile(link)
    archive = gzip.compress(raw.getvalue())
    submission = submit(source=SourceInput(archive=archive, filename="src.tar.gz"))
    with submission.current_revision.source_archive.open("rb") as fh:
        names = {name for name, _ in sources.iter_files(fh.read())}
    assert "secrets" not in names and "server/main.go" in names


def test_licence_ids_are_matched_case_insensitively(submit):
    assert submit(licence="apache-2.0").licence == "Apache-2.0"
