"""Models of the certification app: schema and invariants only (writes live in services)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from certification.workflow import TERMINAL_STATES, Action, Decision, Reason, Status

User = settings.AUTH_USER_MODEL


class SourceKind(models.TextChoices):
    ARCHIVE = "archive", "Uploaded archive"
    GIT = "git", "Git repository"


class SourceStatus(models.TextChoices):
    # Waiting for a worker to clone or read it.
    PENDING = "pending", "Pending"
    # Stored as a normalised .tar.gz in storage.
    READY = "ready", "Ready"
    # Could not be cloned or read; the message says why.
    FAILED = "failed", "Failed"


class Submission(models.Model):
    """One request to certify one plugin; goes through the stages of ``workflow.Status``."""

    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="cert_submissions")
    plugin_id = models.CharField(max_length=190, db_index=True)
    name = models.CharField(max_length=200)
    repository_url = models.URLField(max_length=500)
    nightly_url = models.URLField(max_length=500)
    licence = models.CharField(max_length=64, help_text="SPDX licence identifier")
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    status_message = models.TextField(blank=True)
    status_changed_at = models.DateTimeField()
    # The stage that asked for changes; a resubmission returns there.
    return_stage = models.CharField(max_length=32, choices=Status.choices, blank=True)
    current_revision = models.ForeignKey(
        "SubmissionRevision", on_delete=models.PROTECT, null=True, related_name="+"
    )
    version = models.CharField(max_length=64, blank=True)
    # The core committer who did the basic review: first choice for the release review.
    basic_reviewer = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A re-certification points at the last certified submission of the same plugin.
    recertifies = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="recertifications"
    )
    certified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one submission in flight per plugin id.
            models.UniqueConstraint(
                fields=["plugin_id"],
                condition=~Q(status__in=sorted(str(s) for s in TERMINAL_STATES)),
                name="cert_one_active_submission_per_plugin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plugin_id} #{self.pk} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATES


class SubmissionRevision(models.Model):
    """One version of what the developer sent: the first submission and every resubmission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices)
    # Always a .tar.gz in storage once ready (a git clone is archived by the worker).
    source_archive = models.FileField(
        upload_to="certification/sources/", max_length=500, blank=True
    )
    source_filename = models.CharField(max_length=255, blank=True)
    git_url = models.CharField(max_length=500, blank=True)
    git_ref = models.CharField(max_length=255, blank=True)
    source_status = models.CharField(
        max_length=16, choices=SourceStatus.choices, default=SourceStatus.PENDING
    )
    source_error = models.TextField(blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    bundle = models.FileField(upload_to="certification/bundles/", max_length=500)
    bundle_sha256 = models.CharField(max_length=64)
    bundle_size = models.PositiveBigIntegerField(default=0)
    version = models.CharField(max_length=64)
    manifest = models.JSONField(default=dict)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "number"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="cert_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} r{self.number}"


class AuditEvent(models.Model):
    """Append-only trail of everything that happened to a submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    from_status = models.CharField(max_length=32, choices=Status.choices)
    to_status = models.CharField(max_length=32, choices=Status.choices)
    reason_code = models.CharField(max_length=32, blank=True)
    reason_text = models.TextField(blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.from_status} -> {self.to_status} ({self.action})"


class Review(models.Model):
    """A sign-off decision by one reviewer on one stage of one revision."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reviews")
    revision = models.ForeignKey(SubmissionRevision, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=32, choices=Status.choices)
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="cert_reviews")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    # Signed as a security reviewer (release review needs one such approval).
    as_security = models.BooleanField(default=False)
    checklist = models.JSONField(default=dict, blank=True)
    reason_code = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One approval per reviewer per stage per revision.
            models.UniqueConstraint(
                fields=["revision", "stage", "reviewer"],
                condition=Q(decision="approve"),
                name="cert_one_approval_per_reviewer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id} {self.decision} {self.stage} of {self.submission_id}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class BuildStatus(models.TextChoices):
    # Created; waiting for a worker.
    QUEUED = "queued", "Queued"
    # Downloading and validating.
    RUNNING = "running", "Running"
    # Deploying to ci-extensions and waiting for the plugin to run.
    DEPLOYING = "deploying", "Deploying"
    # Deployed and Running on ci-extensions (green).
    PASSED = "passed", "Passed"
    # Same sha256 as the last build: recorded, not redeployed.
    UNCHANGED = "unchanged", "Unchanged"
    # Red: download, validation or deployment failed; ``reason``/``log`` say why.
    FAILED = "failed", "Failed"


BUILD_ACTIVE_STATES = (BuildStatus.QUEUED, BuildStatus.RUNNING, BuildStatus.DEPLOYING)


class NightlyBuild(models.Model):
    """One pull of a submission's nightly URL, and its deployment to ci-extensions."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="builds")
    url = models.URLField(max_length=500)
    trigger = models.CharField(max_length=16, default="schedule")  # schedule | manual
    status = models.CharField(
        max_length=16, choices=BuildStatus.choices, default=BuildStatus.QUEUED, db_index=True
    )
    reason = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    manifest_version = models.CharField(max_length=64, blank=True)
    bundle = models.FileField(upload_to="certification/nightly/", max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    log = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    deployed = models.BooleanField(default=False)
    deployment_state = models.CharField(max_length=32, blank=True)
    deployment_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One pull in flight per submission: a second "pull now" reuses it.
            models.UniqueConstraint(
                fields=["submission"],
                condition=Q(status__in=["queued", "running", "deploying"]),
                name="cert_one_active_build",
            )
        ]

    def __str__(self) -> str:
        return f"build {self.pk} of {self.submission_id}: {self.status}"


class ScanTool(models.TextChoices):
    SEMGREP = "semgrep", "semgrep"
    BANDIT = "bandit", "bandit"
    LICENCE = "licence", "Licence check"
    MANIFEST = "manifest", "Manifest check"


class ScanRun(models.Model):
    """One scanner over one revision's source. Failed means the scanner failed, not the code."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="scans")
    revision = models.ForeignKey(SubmissionRevision, on_delete=models.CASCADE, related_name="scans")
    tool = models.CharField(max_length=16, choices=ScanTool.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["revision", "tool"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "tool"], name="cert_one_scan_per_tool")
        ]

    def __str__(self) -> str:
        return f"{self.tool} scan {self.pk}: {self.status}"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Finding(models.Model):
    scan = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="findings")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="findings")
    tool = models.CharField(max_length=16, choices=ScanTool.choices)
    rule_id = models.CharField(max_length=200)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    file = models.CharField(max_length=500, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField()
    snippet = models.TextField(blank=True)
    blocking = models.BooleanField(default=False)
    waived_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    waiver_justification = models.TextField(blank=True)
    waived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scan", "file", "line", "id"]

    def __str__(self) -> str:
        return f"{self.rule_id} at {self.file}:{self.line}"

    @property
    def is_open_blocker(self) -> bool:
        return self.blocking and self.waived_at is None


class DeploymentPurpose(models.TextChoices):
    RELEASE = "release", "Release test (ci-extensions-release)"
    COMMUNITY = "community", "Community install"


class Deployment(models.Model):
    """Deployment of a revision's bundle to a host server (release tests, community)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="deployments")
    revision = models.ForeignKey(SubmissionRevision, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=16, choices=DeploymentPurpose.choices)
    host = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    plugin_state = models.CharField(max_length=32, blank=True)
    message = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "purpose"], name="cert_one_deployment_per_purpose"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} deployment {self.pk} to {self.host}: {self.status}"


class PendingTask(models.Model):
    """Transactional outbox: work to enqueue, written in the same transaction as the change.

    Sent right after commit; when the broker is down the row stays and the beat sweep (or
    ``manage.py certification_outbox``) sends it once the broker is back.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task_name}({self.kwargs})"
