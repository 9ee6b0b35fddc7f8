import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from certification import workflow
from certification.models import NightlyBuild, Submission
from certification.workflow import Status
from tests.certification.conftest import force_status, make_bundle, make_source, pending

API = "/api/certification"


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def submit_payload(**extra):
    return {
        "name": "Weather",
        "repository_url": "https://github.com/example/weather",
        "nightly_url": "https://example.com/weather/nightly.tar.gz",
        "licence": "MIT",
        "bundle": SimpleUploadedFile("weather.tar.gz", make_bundle()),
        "source_archive": SimpleUploadedFile("src.tar.gz", make_source()),
        **extra,
    }


def test_developer_submits_multipart_and_sees_it(developer):
    response = api(developer).post(f"{API}/submissions/", submit_payload(), format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["revision"] == 1
    assert api(developer).get(f"{API}/submissions/").json()["results"][0]["id"] == body["id"]


def test_invalid_bundle_is_a_problem_response_and_no_row(developer):
    payload = submit_payload(bundle=SimpleUploadedFile("x.tar.gz", b"garbage"))
    response = api(developer).post(f"{API}/submissions/", payload, format="multipart")
    assert response.status_code == 400
    assert response.json()["type"] == "bundle_rejected"
    assert not Submission.objects.exists()


def test_anonymous_users_see_nothing(submit):
    submit()
    assert api().get(f"{API}/submissions/").status_code in (401, 403)


def test_visibility_own_queue_and_admin(submit, developer, other_developer, core, qa, admin):
    s = force_status(submit(), Status.BASIC_REVIEW)
    assert api(other_developer).get(f"{API}/submissions/").json()["results"] == []
    assert api(other_developer).get(f"{API}/submissions/{s.pk}/").status_code == 404
    assert api(qa).get(f"{API}/submissions/{s.pk}/").status_code == 404
    assert api(core).get(f"{API}/submissions/{s.pk}/").status_code == 200
    assert [x["id"] for x in api(core).get(f"{API}/queue/").json()] == [s.pk]
    assert api(qa).get(f"{API}/queue/").json() == []
    assert api(developer).get(f"{API}/queue/").json() == []
    assert len(api(admin).get(f"{API}/submissions/").json()["results"]) == 1


def test_approve_request_changes_and_audit_through_the_api(submit, developer, core):
    s = force_status(submit(), Status.BASIC_REVIEW)
    checklist = {i.key: True for i in workflow.CHECKLISTS[Status.BASIC_REVIEW]}
    bad = api(core).post(f"{API}/submissions/{s.pk}/approve/", {"checklist": {}}, format="json")
    assert bad.status_code == 400 and "tick every checklist item" in bad.json()["detail"]
    own = api(developer).post(
        f"{API}/submissions/{s.pk}/approve/", {"checklist": checklist}, format="json"
    )
    assert own.status_code == 403
    ok = api(core).post(
        f"{API}/submissions/{s.pk}/approve/", {"checklist": checklist}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "ci_setup"
    changes = api(core).post(
        f"{API}/submissions/{s.pk}/request-changes/",
        {"reason_code": "build", "text": "nightly URL 404s"},
        format="json",
    )
    assert changes.status_code == 200 and changes.json()["status"] == "changes_requested"
    trail = api(developer).get(f"{API}/submissions/{s.pk}/audit/").json()
    assert [(e["from_status"], e["to_status"]) for e in trail] == [
        ("submitted", "submitted"),
        ("basic_review", "ci_setup"),
        ("ci_setup", "changes_requested"),
    ]
    resubmit = api(developer).post(
        f"{API}/submissions/{s.pk}/resubmit/",
        {"bundle": SimpleUploadedFile("b.tar.gz", make_bundle(version="1.0.1")), "note": "fixed"},
        format="multipart",
    )
    assert resubmit.status_code == 200 and resubmit.json()["status"] == "ci_setup"


def test_invalid_transition_is_409(submit, developer):
    s = force_status(submit(), Status.REJECTED)
    response = api(developer).post(f"{API}/submissions/{s.pk}/withdraw/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["type"] == "invalid_transition"


def test_pull_now_answers_202_with_where_to_look(submit, developer):
    s = force_status(submit(), Status.CI_SETUP)
    response = api(developer).post(f"{API}/submissions/{s.pk}/builds/")
    assert response.status_code == 202
    build = NightlyBuild.objects.get()
    assert response["Location"].endswith(f"{API}/builds/{build.pk}/")
    assert api(developer).get(response["Location"]).json()["status"] == "queued"
    # A second "pull now" reuses the build in flight.
    assert api(developer).post(f"{API}/submissions/{s.pk}/builds/").json()["id"] == build.pk
    assert len(pending("nightly_pull_task")) == 1


def test_pull_now_is_refused_before_ci_setup(submit, developer):
    s = submit()
    assert api(developer).post(f"{API}/submissions/{s.pk}/builds/").status_code == 400
    assert not NightlyBuild.objects.exists()


def test_submission_list_query_count_does_not_grow(submit, admin, django_assert_max_num_queries):
    from django.contrib.auth.models import User

    for i in range(5):
        owner = User.objects.create_user(f"d{i}")
        submit(owner=owner, plugin_id=f"com.example.p{i}")
    with django_assert_max_num_queries(6):
        response = api(admin).get(f"{API}/submissions/")
    assert len(response.json()["results"]) == 5


def test_meta_lists_reasons_checklists_and_recommended_licences(developer):
    body = api(developer).get(f"{API}/meta/").json()
    assert {"value": "security", "label": "Security problem"} in body["reasons"]
    assert set(body["checklists"]) == {"basic_review", "release_review", "qa", "pm_ux"}
    assert {lic["spdx_id"] for lic in body["licences"] if lic["recommended"]} >= {"MIT"}


@pytest.mark.parametrize("path", ["/submissions/", "/submissions/{id}/approve/", "/queue/"])
def test_endpoints_are_in_the_openapi_schema(path, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert f"{API}{path}" in schema["paths"]


def test_git_source_over_the_api_is_cloned_after_commit(
    developer, tmp_path, django_capture_on_commit_callbacks
):
    from tests.certification.conftest import source_files
    from tests.certification.test_submissions import _git_repo

    url = _git_repo(tmp_path, source_files(), branch="release-1.0")
    payload = submit_payload(git_url=url, git_ref="release-1.0")
    del payload["source_archive"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api(developer).post(f"{API}/submissions/", payload, format="multipart")
    assert response.status_code == 201, response.content
    body = api(developer).get(f"{API}/submissions/{response.json()['id']}/").json()
    assert body["status"] == "basic_review" and body["source_status"] == "ready"
    assert body["revisions"][0]["git_ref"] == "release-1.0"


def test_failed_release_deployment_can_be_retried_by_qa(submit, developer, qa):
    from certification.models import Deployment, JobStatus
    from certification.services.transitions import deployment_request

    s = force_status(submit(), Status.QA)
    deployment = deployment_request(submission=s, purpose="release")
    Deployment.objects.filter(pk=deployment.pk).update(status=JobStatus.FAILED, message="down")
    url = f"{API}/deployments/{deployment.pk}/retry/"
    assert api(developer).post(url).status_code == 403
    response = api(qa).post(url)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert api(qa).post(url).status_code == 409  # already queued again
    assert len(pending("deploy_task")) == 2
