"""Writes of the certification app: one module per concern, re-exported here."""

from certification.services.nightly import nightly_request_now, nightly_schedule_all
from certification.services.outbox import outbox_sweep
from certification.services.scans import finding_waive, scan_rerun
from certification.services.submissions import (
    SourceInput,
    submission_create,
    submission_resubmit,
)
from certification.services.transitions import (
    stage_approve,
    stage_reject,
    stage_request_changes,
    submission_withdraw,
)

__all__ = [
    "SourceInput",
    "finding_waive",
    "nightly_request_now",
    "nightly_schedule_all",
    "outbox_sweep",
    "scan_rerun",
    "stage_approve",
    "stage_reject",
    "stage_request_changes",
    "submission_create",
    "submission_resubmit",
    "submission_withdraw",
]
