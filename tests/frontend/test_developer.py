"""Developer pages: the submit form (validation next to each field, nothing typed lost), my
submissions, the submission page, resubmit and withdraw, and who may see what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from certification.workflow import Status
from common import roles
from tests.frontend.conftest import client_for
from tests.frontend.factories import bundle_bytes, source_archive, submit

pytestmark = pytest.mark.django_db


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "repository_url": "https://github.com/example/com.example.greeter",
        "nightly_url": "https://builds.example.com/greeter/latest.tar.gz",
        "licence": "Apache-2.0",
        "bundle": SimpleUploadedFile(
            "greeter.tar.gz", bundle_bytes("com.example.greeter"), "application/gzip"
        ),
        "source_archive": SimpleUploadedFile(
            "greeter-src.tar.gz", source_archive("com.example.greeter"), "application/gzip"
        ),
        "git_url": "",
        "git_ref": "",
        "name": "",
        "note": "First submission",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def submission_count() -> int:
    from certification.selectors import submission_list

    return submission_list(viewer=User.objects.get(username="dev")).count()


def test_submit_form_needs_login() -> None:
    response = Client().get(reverse("frontend:submission-new"))
    assert response.status_code == 302
    assert reverse("frontend:login") in response["Location"]


def test_submit_plugin_with_real_files(developer: User) -> None:
    client = client_for(developer)
    response = client.post(reverse("frontend:submission-new"), form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert submission_count() == 1
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "com.example.greeter" in html
    assert "Timeline" in html
    listing = client.get(reverse("frontend:submission-list")).content.decode()
    assert "com.example.greeter" in listing


def test_missing_fields_are_explained_next_to_each_and_typed_text_kept(developer: User) -> None:
    client = client_for(developer)
    response = client.post(
        reverse("frontend:submission-new"),
        form_data(
            bundle=None,
            source_archive=None,
            licence="",
            nightly_url="not a url",
            note="Keep me",
        ),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"bundle", "source_archive", "licence", "nightly_url"}
    html = response.content.decode()
    assert "Keep me" in html
    assert 'value="https://github.com/example/com.example.greeter"' in html
    assert "The plugin&#x27;s source is required" in html
    assert submission_count() == 0


def test_bad_bundle_is_refused_with_the_check_next_to_the_bundle_field(developer: User) -> None:
    client = client_for(developer)
    garbage = SimpleUploadedFile("plugin.tar.gz", b"this is not gzip", "application/gzip")
    response = client.post(reverse("frontend:submission-new"), form_data(bundle=garbage))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "bundle" in errors, errors
    assert "The bundle was refused" in errors["bundle"][0]
    assert submission_count() == 0


def test_wrong_file_type_is_caught_before_the_service(developer: User) -> None:
    client = client_for(developer)
    text = SimpleUploadedFile("plugin.txt", b"hello", "text/plain")
    response = client.post(reverse("frontend:submission-new"), form_data(bundle=text))
    assert "must be a .tar.gz or .tgz file" in response.context["form"].errors["bundle"][0]
    assert submission_count() == 0


def test_archive_and_git_url_together_are_refused(developer: User) -> None:
    client = client_for(developer)
    response = client.post(
        reverse("frontend:submission-new"),
        form_data(git_url="https://github.com/example/x.git", git_ref="main"),
    )
    assert "git_url" in response.context["form"].errors
    assert submission_count() == 0


def test_submit_form_needs_csrf(developer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(developer)
    response = client.post(reverse("frontend:submission-new"), form_data())
    assert response.status_code == 403
    assert submission_count() == 0


def test_developer_never_sees_another_developers_submission(
    developer: User, make_user: Callable[..., User]
) -> None:
    other = make_user("other")
    submission = submit(other)
    client = client_for(developer)
    detail = client.get(reverse("frontend:submission-detail", args=[submission.pk]))
    assert detail.status_code == 404
    listing = client.get(reverse("frontend:submission-list")).content.decode()
    assert "com.example.greeter" not in listing
    # Nor act on it.
    response = client.post(
        reverse("frontend:submission-withdraw", args=[submission.pk]), {"confirm": "on"}
    )
    assert response.status_code == 404
    submission.refresh_from_db()
    assert submission.status != Status.WITHDRAWN
    # And no review page for a non-reviewer.
    assert client.get(reverse("frontend:review-detail", args=[submission.pk])).status_code == 403


def test_withdraw_needs_confirmation_then_withdraws(developer: User) -> None:
    submission = submit(developer)
    client = client_for(developer)
    url = reverse("frontend:submission-withdraw", args=[submission.pk])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "confirm" in response.context["withdraw_form"].errors
    submission.refresh_from_db()
    assert submission.status != Status.WITHDRAWN
    assert client.post(url, {"confirm": "on"}).status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.WITHDRAWN


def test_resubmit_after_changes_requested(developer: User, make_user: Callable[..., User]) -> None:
    from certification.services.transitions import stage_request_changes

    submission = submit(developer)
    submission.refresh_from_db()
    assert submission.status == Status.BASIC_REVIEW
    committer = make_user("core", groups=(roles.CORE_COMMITTERS,))
    stage_request_changes(
        submission_id=submission.pk,
        actor=committer,
        reason_code="documentation",
        text="Add a README",
    )
    client = client_for(developer)
    page = client.get(reverse("frontend:submission-detail", args=[submission.pk])).content.decode()
    assert "Respond to the requested changes" in page
    assert "Add a README" in page
    url = reverse("frontend:submission-resubmit", args=[submission.pk])
    empty = client.post(url, {"note": "nothing new"})
    assert empty.status_code == 400
    assert "nothing new to review" in empty.content.decode()
    new_bundle = SimpleUploadedFile(
        "greeter.tar.gz", bundle_bytes("com.example.greeter", "1.0.1"), "application/gzip"
    )
    response = client.post(url, {"bundle": new_bundle, "note": "README added"})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.BASIC_REVIEW
    assert submission.version == "1.0.1"


def _changes_requested(developer: User, make_user: Callable[..., User]) -> Any:
    from certification.services.transitions import stage_request_changes

    submission = submit(developer)
    committer = make_user("core", groups=(roles.CORE_COMMITTERS,))
    stage_request_changes(
        submission_id=submission.pk, actor=committer, reason_code="documentation", text="README"
    )
    return submission


def test_resubmit_keeps_the_bundle_when_another_field_fails(
    developer: User, make_user: Callable[..., User]
) -> None:
    submission = _changes_requested(developer, make_user)
    client = client_for(developer)
    url = reverse("frontend:submission-resubmit", args=[submission.pk])
    new_bundle = SimpleUploadedFile(
        "greeter-1.0.1.tar.gz", bundle_bytes("com.example.greeter", "1.0.1"), "application/gzip"
    )
    # A git repository without a ref fails; the bundle passed its checks and is kept.
    failed = client.post(
        url, {"bundle": new_bundle, "git_url": "https://github.com/example/g.git", "note": "x"}
    )
    assert failed.status_code == 400
    assert "git_ref" in failed.context["resubmit_form"].errors
    kept = failed.context["resubmit_kept"]
    assert set(kept) == {"bundle"}
    html = failed.content.decode()
    assert "greeter-1.0.1.tar.gz" in html and "Files that passed their checks are kept" in html
    assert 'name="bundle_kept"' in html
    submission.refresh_from_db()
    assert (submission.status, submission.version) == (Status.CHANGES_REQUESTED, "1.0.0")
    # Another account cannot use the token (and cannot reach the submission anyway).
    stranger = client_for(make_user("stranger"))
    assert stranger.post(url, {"bundle_kept": kept["bundle"]["token"]}).status_code == 404
    # The developer drops the git URL only; the kept bundle is what is resubmitted.
    done = client.post(url, {"bundle_kept": kept["bundle"]["token"], "note": "README added"})
    assert done.status_code == 302, done.context and done.context["resubmit_form"].errors
    submission.refresh_from_db()
    assert (submission.status, submission.version) == (Status.BASIC_REVIEW, "1.0.1")


def test_resubmit_token_of_another_session_is_not_a_file(
    developer: User, make_user: Callable[..., User]
) -> None:
    submission = _changes_requested(developer, make_user)
    url = reverse("frontend:submission-resubmit", args=[submission.pk])
    other = client_for(developer)
    failed = other.post(
        url,
        {
            "bundle": SimpleUploadedFile(
                "g.tar.gz", bundle_bytes("com.example.greeter", "1.0.1"), "application/gzip"
            ),
            "git_url": "https://github.com/example/g.git",
        },
    )
    token = failed.context["resubmit_kept"]["bundle"]["token"]
    # Same account, but a different session (e.g. another browser): the token means nothing.
    response = client_for(developer).post(url, {"bundle_kept": token, "note": "x"})
    assert response.status_code == 400
    assert "nothing new to review" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == Status.CHANGES_REQUESTED


def test_test_server_page_for_owner_and_reviewers_only(
    developer: User, make_user: Callable[..., User]
) -> None:
    from hostserver.services import host_ensure_defaults

    host_ensure_defaults()
    submission = submit(developer)
    url = reverse("frontend:test-server-plugin", args=["ci-extensions", submission.plugin_id])
    page = client_for(developer).get(url)
    assert page.status_code == 200
    assert "is not installed on ci-extensions" in page.content.decode()
    detail = client_for(developer).get(reverse("frontend:submission-detail", args=[submission.pk]))
    assert url in detail.content.decode()
    assert client_for(make_user("stranger")).get(url).status_code == 404
    reviewer = make_user("qa1", groups=(roles.QA,))
    assert client_for(reviewer).get(url).status_code == 200


def test_chosen_files_are_kept_when_another_field_fails(
    developer: User, make_user: Callable[..., User]
) -> None:
    client = client_for(developer)
    response = client.post(reverse("frontend:submission-new"), form_data(licence=""))
    assert response.status_code == 400
    kept = response.context["kept"]
    assert set(kept) == {"bundle", "source_archive"}
    html = response.content.decode()
    assert "greeter.tar.gz" in html and "Kept" in html
    assert submission_count() == 0
    tokens = {f"{field}_kept": value["token"] for field, value in kept.items()}
    # Another account cannot use the tokens.
    stranger = client_for(make_user("stranger")).post(
        reverse("frontend:submission-new"),
        form_data(bundle=None, source_archive=None, **tokens),
    )
    assert stranger.status_code == 400
    assert "bundle" in stranger.context["form"].errors
    # The developer fixes the licence only; the kept files are used.
    response = client.post(
        reverse("frontend:submission-new"),
        form_data(bundle=None, source_archive=None, **tokens),
    )
    assert response.status_code == 302, response.context["form"].errors
    assert submission_count() == 1


def test_developer_pulls_nightly_only_in_pulled_stages_and_only_their_own(
    developer: User, make_user: Callable[..., User]
) -> None:
    from certification.selectors import build_list

    submission = submit(developer)  # basic review: no pulls yet
    client = client_for(developer)
    url = reverse("frontend:submission-pull-nightly", args=[submission.pk])
    response = client.post(url, follow=True)
    assert "not pulled while" in response.content.decode()
    assert build_list(submission=submission).count() == 0
    assert client_for(make_user("stranger")).post(url).status_code == 404
    assert build_list(submission=submission).count() == 0
