"""One submission from submit to certified through the API, with a user per role, a real
nightly URL, real scans and real deployments to the live host servers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from certification import workflow
from certification.models import Deployment, JobStatus, NightlyBuild, ScanRun
from certification.workflow import Status
from hostserver.models import HostPlugin, PluginState
from tests.certification.conftest import PLUGIN_ID, make_source, server_bundle

pytestmark = pytest.mark.django_db(transaction=True)
API = "/api/certification"


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def checklist(stage, *, security=False):
    return {i.key: True for i in workflow.checklist_for(stage, as_security=security)}


def approve(user, sid, stage, **kw):
    response = as_user(user).post(
        f"{API}/submissions/{sid}/approve/",
        {"checklist": checklist(stage, **kw), "text": "looks good"},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_submit_to_certified_through_the_api(
    live_hosts, file_server, developer, core, core2, security, qa, pm, client
):
    bundle = server_bundle(PLUGIN_ID, "1.0.0")
    (file_server.root / "nightly.tar.gz").write_bytes(bundle)
    created = as_user(developer).post(
        f"{API}/submissions/",
        {
            "name": "Weather",
            "repository_url": "https://github.com/example/weather",
            "nightly_url": f"{file_server.url}/nightly.tar.gz",
            "licence": "Apache-2.0",
            "bundle": SimpleUploadedFile("weather.tar.gz", bundle),
            "source_archive": SimpleUploadedFile("src.tar.gz", make_source()),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    detail = as_user(developer).get(f"{API}/submissions/{sid}/").json()
    assert detail["status"] == Status.BASIC_REVIEW  # intake ran after commit

    # Basic review by a core committer, who sees the code minus template boilerplate.
    assert [s["id"] for s in as_user(core).get(f"{API}/queue/").json()] == [sid]
    review = as_user(core).get(f"{API}/submissions/{sid}/review/").json()
    assert any(f["path"] == "server/main.go" for f in review["files"])
    assert approve(core, sid, Status.BASIC_REVIEW)["status"] == Status.CI_SETUP

    # CI setup: the nightly build was pulled, deployed to ci-extensions, green: stage passed.
    build = NightlyBuild.objects.get(submission_id=sid)
    assert build.status == "passed", build.log
    detail = as_user(developer).get(f"{API}/submissions/{sid}/").json()
    assert detail["status"] == Status.RELEASE_REVIEW
    # Scans ran on entry; findings are visible to the developer.
    scans = as_user(developer).get(f"{API}/submissions/{sid}/scans/").json()
    assert {s["tool"]: s["status"] for s in scans} == dict.fromkeys(
        ("semgrep", "bandit", "licence", "manifest"), "succeeded"
    )
    findings = as_user(developer).get(f"{API}/submissions/{sid}/findings/").json()
    assert not [f for f in findings if f["blocking"] and not f["waived_by"]]

    # Release review: the basic reviewer is proposed first; two approvals, one security.
    reqs = as_user(core).get(f"{API}/submissions/{sid}/").json()["requirements"]
    assert reqs["proposed_reviewers"][0] == core.username
    approve(core, sid, Status.RELEASE_REVIEW)
    assert approve(security, sid, Status.RELEASE_REVIEW, security=True)["status"] == Status.QA
    release = Deployment.objects.get(submission_id=sid, purpose="release")
    assert release.status == JobStatus.SUCCEEDED and release.plugin_state == "Running"

    # QA and PM/UX passes, with links to the release test server.
    links = as_user(qa).get(f"{API}/submissions/{sid}/").json()["requirements"]["links"]
    assert "/hosts/ci-extensions-release/" in links["release"]
    assert approve(qa, sid, Status.QA)["status"] == Status.PM_UX
    assert approve(pm, sid, Status.PM_UX)["status"] == Status.CERTIFIED

    # Certified: listed in the Mattermost-compatible marketplace API and running on community.
    listed = client.get("/api/v1/plugins").json()
    assert any(p["manifest"]["id"] == PLUGIN_ID for p in listed)
    community = Deployment.objects.get(submission_id=sid, purpose="community")
    assert community.status == JobStatus.SUCCEEDED, community.message
    plugin = HostPlugin.objects.get(host=live_hosts["community"], plugin_id=PLUGIN_ID)
    assert plugin.state == PluginState.RUNNING
    trail = as_user(developer).get(f"{API}/submissions/{sid}/audit/").json()
    moves = [e["to_status"] for e in trail if e["from_status"] != e["to_status"]]
    assert moves == [
        "basic_review", "ci_setup", "release_review", "qa", "pm_ux", "certified",
    ]  # fmt: skip
    assert ScanRun.objects.filter(submission_id=sid).count() == 4
