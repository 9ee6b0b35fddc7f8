"""The certification workflow as data: states, the transition table, roles, checklists, reasons.

Services (``certification.services.transitions``) read these tables; nothing else decides
whether a move is allowed. Keeping the workflow as data makes it reviewable in one screen and
lets the UI and the API show the same checklists and reasons the services enforce.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from common import roles


class Status(models.TextChoices):
    # Received; the source is being stored or cloned and checked before review starts.
    SUBMITTED = "submitted", "Submitted"
    # A core committer checks the plugin does what it says (code minus template boilerplate).
    BASIC_REVIEW = "basic_review", "Basic review"
    # Nightly builds are pulled and deployed to ci-extensions; passes on the first green build.
    CI_SETUP = "ci_setup", "CI setup"
    # Security scans plus two reviewers (one security reviewer); then deployed for release tests.
    RELEASE_REVIEW = "release_review", "Release review"
    # A QA member verifies the advertised functionality on ci-extensions-release.
    QA = "qa", "QA pass"
    # A PM/UX member irons out user-experience issues.
    PM_UX = "pm_ux", "PM/UX pass"
    # Published in the catalog as certified and installed on the community server (end state).
    CERTIFIED = "certified", "Certified"
    # Back with the developer; a resubmission returns to the stage that asked.
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    # Refused for good (end state).
    REJECTED = "rejected", "Rejected"
    # Withdrawn by the developer or an admin (end state).
    WITHDRAWN = "withdrawn", "Withdrawn"


TERMINAL_STATES = frozenset({Status.CERTIFIED, Status.REJECTED, Status.WITHDRAWN})

#: Stages in which people sign off, in order.
HUMAN_STAGES = (Status.BASIC_REVIEW, Status.RELEASE_REVIEW, Status.QA, Status.PM_UX)
#: Stages a reviewer may send back to the developer or reject from.
REVIEW_STAGES = (
    Status.BASIC_REVIEW,
    Status.CI_SETUP,
    Status.RELEASE_REVIEW,
    Status.QA,
    Status.PM_UX,
)

#: Groups whose members act in a stage. Portal admins may act everywhere.
STAGE_ROLES: dict[str, frozenset[str]] = {
    Status.BASIC_REVIEW: frozenset({roles.CORE_COMMITTERS}),
    Status.CI_SETUP: frozenset({roles.CORE_COMMITTERS}),
    Status.RELEASE_REVIEW: frozenset({roles.CORE_COMMITTERS, roles.SECURITY_REVIEWERS}),
    Status.QA: frozenset({roles.QA}),
    Status.PM_UX: frozenset({roles.PM_UX}),
}


class Action(models.TextChoices):
    # The developer sent the submission (first revision).
    SUBMIT = "submit", "Submit"
    # System: intake finished (source stored/cloned and checked).
    START_REVIEW = "start_review", "Start basic review"
    # A reviewer approves the stage (release review: once both approvals are in).
    APPROVE = "approve", "Approve"
    # System: the first green nightly build passed on ci-extensions.
    PASS_CI = "pass_ci", "CI passed"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"
    # The developer sends a new source and/or bundle after changes were requested.
    RESUBMIT = "resubmit", "Resubmit"
    WITHDRAW = "withdraw", "Withdraw"
    # System: intake failed for good (source could not be cloned or read).
    FAIL_INTAKE = "fail_intake", "Intake failed"
    # Not a move: an approval recorded while the stage still waits for more.
    RECORD_APPROVAL = "record_approval", "Approval recorded"
    WAIVE_FINDING = "waive_finding", "Finding waived"
    # Not a move: a nightly build of a certified plugin went red (its owners are told).
    NIGHTLY_FAILED = "nightly_failed", "Nightly build failed"


_ACTIVE = tuple(s for s in Status if s not in TERMINAL_STATES)

#: The transition table: action -> {from state: to state}. ``None`` as target means "the stage
#: that asked for changes" (resubmit), resolved by the service from the submission.
TRANSITIONS: dict[str, dict[str, str | None]] = {
    Action.START_REVIEW: {Status.SUBMITTED: Status.BASIC_REVIEW},
    Action.FAIL_INTAKE: {Status.SUBMITTED: Status.CHANGES_REQUESTED},
    Action.APPROVE: {
        Status.BASIC_REVIEW: Status.CI_SETUP,
        Status.RELEASE_REVIEW: Status.QA,
        Status.QA: Status.PM_UX,
        Status.PM_UX: Status.CERTIFIED,
    },
    Action.PASS_CI: {Status.CI_SETUP: Status.RELEASE_REVIEW},
    Action.REQUEST_CHANGES: dict.fromkeys(REVIEW_STAGES, Status.CHANGES_REQUESTED),
    Action.REJECT: dict.fromkeys(REVIEW_STAGES, Status.REJECTED),
    Action.RESUBMIT: {Status.CHANGES_REQUESTED: None},
    Action.WITHDRAW: dict.fromkeys(_ACTIVE, Status.WITHDRAWN),
}


def target_of(action: str, current: str) -> str | None:
    """The state ``action`` leads to from ``current``; raises KeyError when not allowed."""
    return TRANSITIONS[action][current]


def allowed(action: str, current: str) -> bool:
    return current in TRANSITIONS.get(action, {})


#: Release review needs this many distinct approvals, at least one by a security reviewer.
RELEASE_REVIEW_APPROVALS = 2


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: str


CHECKLISTS: dict[str, tuple[ChecklistItem, ...]] = {
    Status.BASIC_REVIEW: (
        ChecklistItem("does_what_it_says", "The plugin does what its description says."),
        ChecklistItem("code_read", "I read the code that is not starter-template boilerplate."),
        ChecklistItem("manifest_sane", "The manifest's id, name, version and URLs make sense."),
        ChecklistItem("licence_ok", "The declared licence matches the LICENSE file."),
        ChecklistItem("no_obvious_harm", "Nothing collects data or calls out without saying so."),
    ),
    Status.RELEASE_REVIEW: (
        ChecklistItem("code_reviewed", "I reviewed the full plugin code for this release."),
        ChecklistItem("findings_triaged", "Every scanner finding is fixed, waived or harmless."),
        ChecklistItem(
            "permissions_minimal", "The plugin asks for no more permissions than needed."
        ),
        ChecklistItem("settings_documented", "Its settings are documented and have safe defaults."),
        ChecklistItem("nightly_green", "The nightly build runs on ci-extensions."),
    ),
    Status.QA: (
        ChecklistItem("installs_cleanly", "Installs and enables on ci-extensions-release."),
        ChecklistItem("features_verified", "Every advertised feature works as described."),
        ChecklistItem("upgrade_ok", "Upgrading from the previous version keeps its data."),
        ChecklistItem("disable_ok", "Disabling and removing leaves the server healthy."),
        ChecklistItem("no_console_errors", "No errors in the server log or browser console."),
    ),
    Status.PM_UX: (
        ChecklistItem("ux_consistent", "The UI follows Mattermost's look and conventions."),
        ChecklistItem("copy_clear", "Texts, settings and errors are clear to an end user."),
        ChecklistItem("docs_ok", "README and help explain setup and use."),
        ChecklistItem("accessible", "Works with keyboard navigation and in dark themes."),
    ),
}

#: Extra items a security reviewer ticks when approving the release review.
SECURITY_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("secrets_safe", "No hard-coded secrets; secrets are stored and compared safely."),
    ChecklistItem("input_validated", "User and webhook input is validated and authorised."),
    ChecklistItem("outbound_safe", "Outbound requests use TLS with verification."),
    ChecklistItem("no_injection", "No command, SQL or HTML injection paths."),
)


def checklist_for(stage: str, *, as_security: bool = False) -> tuple[ChecklistItem, ...]:
    items = CHECKLISTS.get(stage, ())
    if stage == Status.RELEASE_REVIEW and as_security:
        items = items + SECURITY_CHECKLIST
    return items


class Reason(models.TextChoices):
    """The fixed catalogue of reasons for requesting changes or rejecting."""

    FUNCTIONALITY = "functionality", "Does not do what it says"
    CODE_QUALITY = "code_quality", "Code quality problems"
    SECURITY = "security", "Security problem"
    LICENCE = "licence", "Licence problem"
    BUILD = "build", "Build or deployment fails"
    MANIFEST = "manifest", "Manifest problem"
    UX = "ux", "User-experience problem"
    DOCUMENTATION = "documentation", "Missing or unclear documentation"
    POLICY = "policy", "Against the community server's policy"
    DUPLICATE = "duplicate", "Duplicates an existing plugin"
    ABANDONED = "abandoned", "No response from the developer"
    OTHER = "other", "Other (explained in the text)"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    CHANGES = "changes", "Request changes"
    REJECT = "reject", "Reject"
