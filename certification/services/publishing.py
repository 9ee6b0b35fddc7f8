"""Certified: the release goes into the catalog through the marketplace's services."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.models import User

from certification.models import Submission
from common.errors import Conflict

#: Plugins certified through the community process are community plugins in production.
AUTHOR_TYPE = "community"
RELEASE_STAGE = "production"


def publish_certified(*, submission: Submission, actor: User) -> dict[str, Any]:
    """Store, sign and list the current revision's bundle as a certified release.

    Runs inside the PM/UX approval's transaction: if publishing fails, the approval does not
    happen either. A release of that version already in the catalog (published uncertified
    earlier) is marked certified instead.
    """
    from marketplace.services import release_certify, release_publish

    revision = submission.current_revision
    assert revision is not None
    with revision.bundle.open("rb") as fh:
        data = fh.read()
    try:
        release = release_publish(
            bundle=io.BytesIO(data),
            author_type=AUTHOR_TYPE,
            release_stage=RELEASE_STAGE,
            certified=True,
            actor=actor,
        )
    except Conflict:
        release = release_certify(
            plugin_id=submission.plugin_id, version=revision.version, actor=actor
        )
    return {
        "plugin_id": submission.plugin_id,
        "version": revision.version,
        "release": getattr(release, "pk", None),
    }
