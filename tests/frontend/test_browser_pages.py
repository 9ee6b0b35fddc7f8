"""Single pages in a real Chromium: catalog search, plugin page, sign-up, the submit form's
client-side checks and upload, phone width, keyboard focus. Screenshots go to
``$PORTAL_ARTIFACTS_DIR/screenshots``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.frontend.conftest import login, shot
from tests.frontend.factories import bundle_bytes, publish, source_archive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog(portal_keyring) -> None:
    publish(
        "com.example.jira-bridge",
        "1.2.0",
        name="Jira Bridge",
        description="Links Jira issues to channels and posts updates as they happen.",
        author_type="partner",
        certified=True,
        icon=True,
    )
    publish("com.example.jira-bridge", "1.1.0", name="Jira Bridge", author_type="partner")
    publish(
        "com.example.polls",
        "0.3.0",
        name="Polls",
        description="Quick polls in any channel, with anonymous votes.",
        release_stage="beta",
    )
    publish(
        "com.example.zoom",
        "2.0.0",
        name="Zoom Meetings",
        description="Start Zoom meetings from a channel.",
        author_type="mattermost",
        certified=True,
    )
    publish(
        "com.example.standup",
        "0.9.0",
        name="Standup Bot",
        description="Collects daily stand-up notes from your team.",
        release_stage="experimental",
    )


def test_visitor_searches_filters_and_opens_a_plugin(
    browser_env: None, live_server, catalog: None, page, screenshot_dir: Path
) -> None:
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", name="All plugins").is_visible()
    shot(page, screenshot_dir, "marketplace-home")
    page.get_by_label("Search plugins").fill("jira")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    cards = page.locator(".plugin-card")
    assert cards.count() == 1
    # Filters submit themselves with JavaScript; the search text is kept.
    page.goto(live_server.url + "/")
    page.get_by_label("Certified only").check()
    page.wait_for_url("**certified=on**")
    assert page.locator(".plugin-card").count() == 2
    page.get_by_role("link", name="Jira Bridge").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Jira Bridge", level=1).is_visible()
    assert page.get_by_text("MarketplaceURL").first.is_visible()
    assert page.locator("#sha256").input_value()
    shot(page, screenshot_dir, "plugin-page")


def test_marketplace_fits_a_phone_and_is_keyboard_reachable(
    browser_env: None, live_server, catalog: None, browser, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/")
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits, "the page scrolls sideways at phone width"
    shot(page, screenshot_dir, "marketplace-phone")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    context.close()


# Elements sticking out of the window on the right, outside boxes that scroll on their own.
WIDER_THAN_THE_WINDOW = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .filter(e => !e.closest('pre, .table-wrap'))
    .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 60))"""


def test_plugin_page_fits_a_phone(
    browser_env: None, live_server, catalog: None, browser, screenshot_dir: Path
) -> None:
    # The page's long install one-liners (<pre>) scroll inside their box, not the whole page.
    # So do long plugin ids in running text (the API link).
    publish("com.examplecorporation.complianceexportarchiver", "2.0.0", name="Compliance Export")
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    for plugin_id in ("com.example.jira-bridge", "com.examplecorporation.complianceexportarchiver"):
        page.goto(live_server.url + f"/plugins/{plugin_id}/")
        assert page.get_by_text("mmctl plugin install-url").first.is_visible()
        wide = page.evaluate(WIDER_THAN_THE_WINDOW)
        assert not wide, f"the page of {plugin_id} scrolls sideways at phone width: {wide}"
    shot(page, screenshot_dir, "plugin-page-phone")
    context.close()


def test_sign_up_and_create_an_api_token(
    browser_env: None, live_server, page, screenshot_dir: Path
) -> None:
    page.goto(live_server.url + "/accounts/signup/")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("short")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_load_state()
    # The error is next to the field, the username and email are kept.
    assert page.locator("#id_password1_error").is_visible()
    assert page.get_by_label("Username").input_value() == "newcomer"
    shot(page, screenshot_dir, "signup-errors")
    page.locator("#id_password1").fill("a-long-unusual-passphrase")
    page.locator("#id_password2").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_load_state()
    assert "Welcome, newcomer" in page.content()
    page.get_by_role("button", name="Create token").click()
    page.wait_for_load_state()
    token = page.locator("#new-token").input_value()
    assert len(token) == 40
    shot(page, screenshot_dir, "account-token")


def test_submit_form_checks_files_in_the_browser_then_uploads_with_progress(
    browser_env: None,
    live_server,
    page,
    make_user: Callable[..., User],
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    make_user("dev")
    bundle = tmp_path / "greeter-1.0.0.tar.gz"
    bundle.write_bytes(bundle_bytes("com.example.greeter", "1.0.0", name="Greeter"))
    source = tmp_path / "greeter-src.tar.gz"
    source.write_bytes(source_archive("com.example.greeter"))
    wrong = tmp_path / "notes.txt"
    wrong.write_text("not a bundle")

    login(page, live_server.url, "dev")
    page.goto(live_server.url + "/submissions/new/")
    page.get_by_label("Plugin repository URL").fill("https://github.com/example/greeter")
    page.get_by_label("Nightly master build URL").fill("https://builds.example.com/greeter.tar.gz")
    page.get_by_label("Licence").select_option("Apache-2.0")
    page.get_by_label("Plugin bundle").set_input_files(str(wrong))
    # Checked in the browser at once, next to the field.
    assert "must end in .tar.gz or .tgz" in page.locator(".client-error").first.inner_text()
    page.get_by_label("Plugin bundle").set_input_files(str(bundle))
    page.get_by_label("Source archive").set_input_files(str(source))
    shot(page, screenshot_dir, "submit-form")
    page.get_by_role("button", name="Submit for certification").click()
    page.wait_for_url(re.compile(r".*/submissions/\d+/$"))
    assert page.get_by_role("heading", name="Where it stands").is_visible()
    assert "Greeter" in page.content()
    shot(page, screenshot_dir, "submission-page")
