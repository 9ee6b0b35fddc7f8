"""The whole journey in a real Chromium, every person in their own browser context:

a developer submits a plugin through the form with real files; a core committer does the basic
review and pulls the nightly build (deployed to ci-extensions by the real supervisor); a core
committer and a security reviewer approve the release review after the real scanners ran; QA and
PM/UX sign off; the portal certifies, publishes and installs it; the admin installs the certified
plugin on another host server through its Mattermost API; a visitor finds it by search.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from certification import workflow
from certification.workflow import Status
from common import roles
from common.bundle.build import build_bundle
from tests.frontend.conftest import PASSWORD, login, shot
from tests.frontend.factories import source_archive
from tests.hostserver.runtime import live, plugins
from tests.hostserver.runtime.conftest import EXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLUGIN_ID = "com.example.greeter"
STEP_TIMEOUT_MS = 180_000  # a step may run the scanners or wait for a plugin to start


live_roots = live.live_roots
supervisor_thread = live.supervisor_thread
file_server = live.file_server
HOSTS = ["ci-extensions", "ci-extensions-release", "community", "staging"]


@pytest.fixture
def live_hosts(live_server, settings, live_roots, supervisor_thread, portal_keyring) -> Any:
    """The portal on a real port with its host servers (plus "staging" for the admin), the
    real supervisor, and the deployer account the pipeline uses."""
    from certification.services.deployments import deployer_ensure
    from hostserver.services import host_ensure_defaults

    settings.PORTAL_BASE_URL = live_server.url
    settings.HOSTSERVER_BASE_URL = live_server.url
    settings.HOSTSERVER_DEFAULT_NAMES = HOSTS
    settings.CERTIFICATION_PLUGIN_START_TIMEOUT = 20.0
    hosts = host_ensure_defaults()
    deployer_ensure()
    return {h.name: h for h in hosts}


def greeter_bundle(version: str = "1.0.0") -> bytes:
    manifest: dict[str, Any] = {
        "id": PLUGIN_ID,
        "name": "Greeter",
        "description": "Greets new members of a channel with a friendly message.",
        "homepage_url": "https://github.com/example/greeter",
        "support_url": "https://github.com/example/greeter/issues",
        "version": version,
        "min_server_version": "9.0.0",
        "server": {"executables": {"linux-amd64": EXE}, "executable": ""},
        "webapp": {"bundle_path": "webapp/dist/main.js"},
    }
    files: dict[str, Any] = {
        EXE: (plugins.GOOD, 0o755),
        "webapp/dist/main.js": "console.log('greeter');\n",
    }
    return build_bundle(manifest, files)


def person(browser: Any, base_url: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    login(page, base_url, username)
    return page


def sign_off(page: Any, base_url: str, stage: str, *, security: bool = False) -> None:
    page.goto(f"{base_url}/reviews/")
    page.get_by_role("link", name="Review Greeter").first.click()
    page.wait_for_load_state()
    for item in workflow.checklist_for(stage, as_security=security):
        page.get_by_label(item.text).check()
    page.get_by_label("Approve this stage").check()
    page.get_by_role("button", name="Record my decision").click()
    page.wait_for_url(f"{base_url}/reviews/")
    assert "You approved" in page.content(), page.content()[:3000]


def submission_status() -> str:
    from certification.selectors import submission_list

    admin = User.objects.get(username="admin")
    return str(submission_list(viewer=admin, filters={"plugin_id": PLUGIN_ID}).get().status)


def test_submit_review_certify_install_and_find(
    browser_env: None,
    live_hosts,
    file_server,
    live_server,
    browser,
    settings,
    make_user: Callable[..., User],
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    from hostserver import selectors as host_selectors

    base = live_server.url
    make_user("dev")
    make_user("core", groups=(roles.CORE_COMMITTERS,))
    make_user("sec", groups=(roles.SECURITY_REVIEWERS,))
    make_user("qa", groups=(roles.QA,))
    make_user("pm", groups=(roles.PM_UX,))
    make_user("admin", groups=(roles.PORTAL_ADMINS,))

    bundle = tmp_path / "greeter-1.0.0.tar.gz"
    bundle.write_bytes(greeter_bundle())
    source = tmp_path / "greeter-src.tar.gz"
    source.write_bytes(source_archive(PLUGIN_ID))
    (file_server.root / "nightly").mkdir()
    (file_server.root / "nightly" / "greeter.tar.gz").write_bytes(greeter_bundle())

    # 1. The developer submits through the form, with real files.
    dev = person(browser, base, "dev")
    dev.goto(f"{base}/submissions/new/")
    dev.get_by_label("Plugin repository URL").fill("https://github.com/example/greeter")
    dev.get_by_label("Nightly master build URL").fill(f"{file_server.url}/nightly/greeter.tar.gz")
    dev.get_by_label("Licence").select_option("Apache-2.0")
    dev.get_by_label("Plugin bundle").set_input_files(str(bundle))
    dev.get_by_label("Source archive").set_input_files(str(source))
    dev.get_by_label("Note for the reviewers").fill("Our first plugin. Thanks for reviewing!")
    dev.get_by_role("button", name="Submit for certification").click()
    dev.wait_for_url(re.compile(r".*/submissions/\d+/$"))
    submission_url = dev.url
    assert submission_status() == Status.BASIC_REVIEW

    # 2. Basic review by a core committer, then the nightly build on ci-extensions.
    core = person(browser, base, "core")
    core.goto(f"{base}/reviews/")
    shot(core, screenshot_dir, "review-queue")
    core.get_by_role("link", name="Review Greeter").click()
    core.wait_for_load_state()
    assert "server/plugin.go" in core.content()
    shot(core, screenshot_dir, "review-page")
    sign_off(core, base, Status.BASIC_REVIEW)
    # Entering CI setup pulls the nightly build at once; a core committer can pull again.
    if submission_status() == Status.CI_SETUP:
        core.goto(submission_url.replace("/submissions/", "/reviews/"))
        core.get_by_role("button", name="Pull the nightly build now").click()
        core.wait_for_load_state()
    # The green build on ci-extensions passes CI; the release review starts with the scanners.
    assert submission_status() == Status.RELEASE_REVIEW
    core.goto(submission_url.replace("/submissions/", "/reviews/"))
    builds = core.locator("section[aria-labelledby=builds-h]").inner_text()
    assert "Passed" in builds
    shot(core, screenshot_dir, "review-page-release")

    # 3. Release review: a core committer and a security reviewer.
    sign_off(core, base, Status.RELEASE_REVIEW)
    assert submission_status() == Status.RELEASE_REVIEW
    sec = person(browser, base, "sec")
    sign_off(sec, base, Status.RELEASE_REVIEW, security=True)
    assert submission_status() == Status.QA

    # 4. QA and PM/UX passes, each in their own browser.
    sign_off(person(browser, base, "qa"), base, Status.QA)
    sign_off(person(browser, base, "pm"), base, Status.PM_UX)
    assert submission_status() == Status.CERTIFIED

    dev.goto(submission_url)
    assert "Certified" in dev.content()
    shot(dev, screenshot_dir, "submission-certified")

    # 5. The admin installs the certified plugin on the staging host, through its API.
    admin = person(browser, base, "admin")
    admin.goto(f"{base}/manage/hosts/staging/")
    admin.get_by_label("Your portal password").fill(PASSWORD)
    admin.get_by_role("button", name="Connect").click()
    admin.wait_for_url(f"{base}/manage/hosts/staging/")
    admin.get_by_role("button", name="Install Greeter").click()
    admin.wait_for_url(f"{base}/manage/hosts/staging/")
    assert "installed: version 1.0.0" in admin.content(), admin.content()[:4000]
    staging = host_selectors.host_get(name="staging")
    assert {p.plugin_id for p in host_selectors.plugin_list(host=staging)} == {PLUGIN_ID}
    shot(admin, screenshot_dir, "host-server")
    admin.goto(f"{base}/manage/dashboard/")
    shot(admin, screenshot_dir, "dashboard")

    # 6. A visitor finds it by search, certified.
    visitor = browser.new_context().new_page()
    visitor.goto(base + "/")
    visitor.get_by_label("Search plugins").fill("greeter")
    visitor.get_by_role("button", name="Search").click()
    visitor.wait_for_load_state()
    card = visitor.locator(".plugin-card", has_text="Greeter")
    assert card.count() == 1
    assert "Certified" in card.inner_text()
    card.get_by_role("link", name="Greeter").click()
    visitor.wait_for_load_state()
    shot(visitor, screenshot_dir, "plugin-certified")
    assert visitor.get_by_role("heading", name="Greeter", level=1).is_visible()
