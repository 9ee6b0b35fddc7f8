"""Demo data of the certification pipeline (``manage.py load_demo`` calls :func:`load_demo`).

One account per role plus two developers (password :data:`DEMO_PASSWORD`, printed by
``load_demo``), the deployer account, the beat schedule, and six submissions with real source
archives and bundles, driven through the real services into different stages:

- ``com.example.demo-weather``: basic review (waiting for a core committer);
- ``com.example.demo-standup``: changes requested by the basic reviewer;
- ``com.example.demo-polls``: CI setup (its nightly pull is queued for the worker);
- ``com.example.demo-jira-lite``: release review, scanned, with a blocking finding to waive;
- ``com.example.demo-todo``: QA pass (deployment to ci-extensions-release queued);
- ``com.example.demo-giphy``: certified (published, signed, listed; community install queued).

The CI step of the later submissions is marked passed by the demo loader itself (recorded as
such in the audit trail), because no web server runs while demo data loads. Idempotent: an
existing demo submission is left alone.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction

from certification import workflow
from certification.models import Submission
from certification.services import (
    SourceInput,
    finding_waive,
    stage_approve,
    stage_request_changes,
    submission_create,
)
from certification.services.deployments import deployer_ensure
from certification.services.scans import scan_execute
from certification.services.schedule import periodic_tasks_ensure
from certification.services.submissions import revision_intake
from certification.services.transitions import ci_pass, lock_submission, record_event
from certification.workflow import Action, Status
from common import roles
from common.bundle.build import build_bundle

# Demo accounts only (printed by load_demo); never created by anything but the demo loader.
DEMO_PASSWORD = "portal-demo-pass"  # noqa: S105  # nosec B105
ROLE_ACCOUNTS: dict[str, tuple[str, ...]] = {
    "demo-developer": (),
    "demo-developer2": (),
    "demo-core": (roles.CORE_COMMITTERS,),
    "demo-core2": (roles.CORE_COMMITTERS,),
    "demo-security": (roles.SECURITY_REVIEWERS,),
    "demo-qa": (roles.QA,),
    "demo-pm": (roles.PM_UX,),
    "demo-admin": (roles.PORTAL_ADMINS,),
}
DEMO_ACCOUNTS = dict.fromkeys(ROLE_ACCOUNTS, DEMO_PASSWORD)

APACHE = (
    "                                 Apache License\n"
    "                           Version 2.0, January 2004\n"
    "                        http://www.apache.org/licenses/\n\n"
    "   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n"
)
MIT = (
    "MIT License\n\nCopyright (c) 2026 Demo Developer\n\n"
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
    "software ...\n\nThe above copyright notice and this permission notice shall be included "
    "in all copies or substantial portions of the Software.\n"
)
SERVER_GO = """package main

import (
\t"net/http"

\t"github.com/mattermost/mattermost/server/public/plugin"
)

type Plugin struct {
\tplugin.MattermostPlugin
}

func (p *Plugin) ServeHTTP(c *plugin.Context, w http.ResponseWriter, r *http.Request) {
\tw.Write([]byte("%s"))
}

func main() {
\tplugin.ClientMain(&Plugin{})
}
"""
#: The release-review demo carries a real problem for the scanners to find.
LEAKY_GO = """package main

const jiraAPIToken = "jira_live_8f2b9c1d7e6a"

func authHeader() string {
\treturn "Bearer " + jiraAPIToken
}
"""


def _manifest(plugin_id: str, version: str) -> dict[str, Any]:
    name = plugin_id.rsplit(".", 1)[-1].removeprefix("demo-").replace("-", " ").title()
    return {
        "id": plugin_id,
        "name": f"Demo {name}",
        "description": f"The {name} demo plugin of the certification pipeline.",
        "version": version,
        "min_server_version": "9.0.0",
        "homepage_url": f"https://github.com/example/{plugin_id}",
        "support_url": f"https://github.com/example/{plugin_id}/issues",
        "webapp": {"bundle_path": "webapp/dist/main.js"},
    }


def demo_bundle(plugin_id: str, version: str = "1.0.0") -> bytes:
    js = f"window.registerPlugin('{plugin_id}', {{initialize() {{}}}});\n"
    return build_bundle(_manifest(plugin_id, version), {"webapp/dist/main.js": js})


def demo_source(plugin_id: str, version: str = "1.0.0", *, licence: str = "Apache-2.0",
                extra: dict[str, str] | None = None) -> bytes:  # fmt: skip
    files = {
        "plugin.json": json.dumps(_manifest(plugin_id, version), indent=2),
        "LICENSE": APACHE if licence == "Apache-2.0" else MIT,
        "README.md": f"# {plugin_id}\n\nA demo plugin.\n",
        "server/plugin.go": SERVER_GO % plugin_id,
        "webapp/src/index.tsx": f"export const id = '{plugin_id}';\n",
        **(extra or {}),
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(f"{plugin_id}-main/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def _accounts() -> dict[str, User]:
    users = {}
    for username, groups in ROLE_ACCOUNTS.items():
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        users[username] = user
    return users


def _checklist(stage: str, *, security: bool = False) -> dict[str, bool]:
    return {i.key: True for i in workflow.checklist_for(stage, as_security=security)}


def _submit(owner: User, plugin_id: str, *, licence: str = "Apache-2.0",
            extra: dict[str, str] | None = None, nightly_url: str = "") -> Submission:  # fmt: skip
    submission = submission_create(
        owner=owner,
        name="",
        repository_url=f"https://github.com/example/{plugin_id}",
        # No web server runs while the demo loads, so most demo nightly URLs answer 404 (the
        # build records that readably); the certified one points at its own catalog download.
        nightly_url=nightly_url or f"{settings.PORTAL_BASE_URL}/demo-nightly/{plugin_id}.tar.gz",
        licence=licence,
        bundle=demo_bundle(plugin_id),
        source=SourceInput(
            archive=demo_source(plugin_id, licence=licence, extra=extra), filename="src.tar.gz"
        ),
        note="Demo submission.",
    )
    revision_intake(revision_id=submission.current_revision_id)  # type: ignore[arg-type]
    submission.refresh_from_db()
    return submission


def _demo_ci_pass(submission: Submission) -> None:
    with transaction.atomic():
        locked = lock_submission(submission.pk)
        record_event(
            locked,
            action=Action.PASS_CI,
            actor=None,
            from_status=locked.status,
            to_status=locked.status,
            reason_text="Demo data: the CI stage is marked passed by the demo loader.",
            evidence={"demo": True},
            notify=False,
        )
    ci_pass(submission_id=submission.pk, build_id=0)
    for scan in submission.scans.all():
        scan_execute(scan_id=scan.pk, task_id="demo")


def _to_release_review(sub: Submission, core: User) -> Submission:
    stage_approve(submission_id=sub.pk, actor=core, checklist=_checklist(Status.BASIC_REVIEW))
    _demo_ci_pass(sub)
    sub.refresh_from_db()
    return sub


def _to_qa(sub: Submission, users: dict[str, User]) -> Submission:
    sub = _to_release_review(sub, users["demo-core"])
    rr = Status.RELEASE_REVIEW
    for finding in sub.findings.filter(blocking=True, waived_at__isnull=True):
        finding_waive(
            finding_id=finding.pk,
            actor=users["demo-security"],
            justification="Demo data: accepted by the demo security reviewer.",
        )
    stage_approve(submission_id=sub.pk, actor=users["demo-core"], checklist=_checklist(rr))
    stage_approve(
        submission_id=sub.pk,
        actor=users["demo-security"],
        checklist=_checklist(rr, security=True),
    )
    sub.refresh_from_db()
    return sub


def load_demo() -> str:
    users = _accounts()
    deployer_ensure()
    periodic_tasks_ensure()
    dev, dev2 = users["demo-developer"], users["demo-developer2"]
    made = []

    def fresh(plugin_id: str) -> bool:
        return not Submission.objects.filter(plugin_id=plugin_id).exists()

    if fresh("com.example.demo-weather"):
        _submit(dev, "com.example.demo-weather")
        made.append("weather")
    if fresh("com.example.demo-standup"):
        sub = _submit(dev2, "com.example.demo-standup", licence="MIT")
        stage_request_changes(
            submission_id=sub.pk,
            actor=users["demo-core"],
            reason_code="documentation",
            text="Please document the slash commands in the README.",
        )
        made.append("standup")
    if fresh("com.example.demo-polls"):
        sub = _submit(dev, "com.example.demo-polls")
        stage_approve(
            submission_id=sub.pk, actor=users["demo-core"],
            checklist=_checklist(Status.BASIC_REVIEW),
        )  # fmt: skip
        made.append("polls")
    if fresh("com.example.demo-jira-lite"):
        sub = _submit(dev2, "com.example.demo-jira-lite", extra={"server/jira.go": LEAKY_GO})
        _to_release_review(sub, users["demo-core2"])
        made.append("jira-lite")
    if fresh("com.example.demo-todo"):
        _to_qa(_submit(dev, "com.example.demo-todo"), users)
        made.append("todo")
    if fresh("com.example.demo-giphy"):
        from marketplace.services import bundle_download_url

        giphy = "com.example.demo-giphy"
        sub = _to_qa(_submit(dev2, giphy, nightly_url=bundle_download_url(giphy, "1.0.0")), users)
        stage_approve(submission_id=sub.pk, actor=users["demo-qa"], checklist=_checklist(Status.QA))
        stage_approve(
            submission_id=sub.pk, actor=users["demo-pm"], checklist=_checklist(Status.PM_UX)
        )
        made.append("giphy")
    total = Submission.objects.filter(plugin_id__startswith="com.example.demo-").count()
    return f"{total} demo submissions ({len(made)} new), accounts password {DEMO_PASSWORD}"
