"""Submitting, resubmitting and taking in a plugin's source and bundle."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import BinaryIO

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from certification import licences, sources
from certification.models import SourceKind, SourceStatus, Submission, SubmissionRevision
from certification.services import outbox
from certification.services.transitions import (
    _move,
    lock_submission,
    record_event,
    submission_fail_intake,
    submission_start_review,
)
from certification.workflow import TERMINAL_STATES, Action, Status
from common.bundle import read_bundle, validate_manifest
from common.errors import Conflict, InvalidInput, NotAllowed, NotFound, UpstreamError

MAX_BUNDLE_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class SourceInput:
    """Exactly one of: an uploaded archive (bytes + file name), or a git URL and ref."""

    archive: bytes | None = None
    filename: str = ""
    git_url: str = ""
    git_ref: str = ""

    @property
    def given(self) -> bool:
        return self.archive is not None or bool(self.git_url)


@dataclass(frozen=True)
class _Bundle:
    data: bytes
    plugin_id: str
    version: str
    sha256: str
    manifest: dict


def _read(upload: BinaryIO | bytes, limit: int, what: str) -> bytes:
    data = upload if isinstance(upload, bytes) else upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{what} is larger than {limit} bytes")
    return data


def check_bundle(upload: BinaryIO | bytes) -> _Bundle:
    """A bundle passes common.bundle's checks and its manifest is valid (strict)."""
    data = _read(upload, MAX_BUNDLE_BYTES, "the bundle")
    info = read_bundle(io.BytesIO(data))
    manifest = validate_manifest(dict(info.manifest), strict=True)
    return _Bundle(
        data=data,
        plugin_id=info.plugin_id,
        version=info.version,
        sha256=hashlib.sha256(data).hexdigest(),
        manifest=dict(manifest),
    )


def _check_url(value: str, field: str) -> str:
    value = (value or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError as exc:
        raise InvalidInput(f"{field} must be an http(s) URL, not {value!r}") from exc
    return value


def _check_licence(spdx_id: str) -> str:
    found = licences.licence_get(spdx_id)
    if found is None:
        raise InvalidInput(
            f"licence must be an SPDX id from the list ({', '.join(licences.LICENCES)}), "
            f"not {spdx_id!r}"
        )
    return found.spdx_id


def check_plugin_ownership(*, owner: User, plugin_id: str) -> Submission | None:
    """The plugin id is new or owned by ``owner``; returns the last certified submission."""
    others = Submission.objects.filter(plugin_id=plugin_id).exclude(owner=owner)
    if others.exclude(status__in=[Status.WITHDRAWN, Status.REJECTED]).exists():
        raise NotAllowed(f"plugin id {plugin_id!r} belongs to another developer's submission")
    mine = Submission.objects.filter(plugin_id=plugin_id, owner=owner)
    in_flight = mine.exclude(status__in=[str(s) for s in TERMINAL_STATES]).first()
    if in_flight is not None:
        raise Conflict(
            f"submission {in_flight.pk} for {plugin_id!r} is still in progress; "
            "resubmit or withdraw it instead"
        )
    certified = mine.filter(status=Status.CERTIFIED).order_by("-certified_at").first()
    if certified is None:
        from marketplace.selectors import plugin_get

        try:
            listed = plugin_get(plugin_id)
        except NotFound:  # the id is new
            listed = None
        if listed is not None:
            listed_owner = getattr(listed, "owner_id", None)
            if listed_owner != owner.pk:
                raise NotAllowed(
                    f"plugin id {plugin_id!r} is already in the catalog and is not yours"
                )
    return certified


def _store_revision_files(
    revision: SubmissionRevision, bundle: _Bundle | None, source: sources.NormalisedSource | None
) -> list[str]:
    written: list[str] = []
    if bundle is not None:
        name = f"{bundle.plugin_id}-{bundle.version}-{bundle.sha256[:12]}.tar.gz"
        revision.bundle.save(name, ContentFile(bundle.data), save=False)
        written.append(str(revision.bundle.name))
    if source is not None:
        name = f"{revision.submission.plugin_id}-r{revision.number}-{source.sha256[:12]}.tar.gz"
        revision.source_archive.save(name, ContentFile(source.data), save=False)
        written.append(str(revision.source_archive.name))
    return written


def _source_fields(source: SourceInput) -> tuple[dict, sources.NormalisedSource | None]:
    if source.archive is not None and source.git_url:
        raise InvalidInput("give either a source archive or a git URL and ref, not both")
    if source.archive is not None:
        normal = sources.normalise_upload(source.archive, source.filename or "source.tar.gz")
        return (
            {
                "source_kind": SourceKind.ARCHIVE,
                "source_filename": source.filename[:255],
                "source_status": SourceStatus.READY,
                "source_sha256": normal.sha256,
            },
            normal,
        )
    if source.git_url:
        sources.check_git_url(source.git_url)
        sources.check_git_ref(source.git_ref)
        return (
            {
                "source_kind": SourceKind.GIT,
                "git_url": source.git_url,
                "git_ref": source.git_ref,
                "source_status": SourceStatus.PENDING,
            },
            None,
        )
    raise InvalidInput("the plugin's source is required: an archive or a git URL and ref")


@transaction.atomic
def submission_create(
    *,
    owner: User,
    name: str,
    repository_url: str,
    nightly_url: str,
    licence: str,
    bundle: BinaryIO | bytes,
    source: SourceInput,
    note: str = "",
) -> Submission:
    """Validate everything, then store the files and the rows; nothing is kept on failure."""
    if not owner.is_authenticated or not owner.is_active:
        raise NotAllowed("sign in to submit a plugin")
    repository_url = _check_url(repository_url, "repository URL")
    nightly_url = _check_url(nightly_url, "nightly build URL")
    licence = _check_licence(licence)
    checked = check_bundle(bundle)
    source_fields, normal = _source_fields(source)
    recertifies = check_plugin_ownership(owner=owner, plugin_id=checked.plugin_id)
    if recertifies is not None and recertifies.version == checked.version:
        raise Conflict(f"version {checked.version} is already certified; bump the version")
    written: list[str] = []
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                owner=owner,
                plugin_id=checked.plugin_id,
                name=(name or str(checked.manifest.get("name") or checked.plugin_id))[:200],
                repository_url=repository_url,
                nightly_url=nightly_url,
                licence=licence,
                status=Status.SUBMITTED,
                status_message="Received; the source is being checked.",
                status_changed_at=timezone.now(),
                version=checked.version,
                recertifies=recertifies,
            )
            revision = SubmissionRevision(
                submission=submission,
                number=1,
                bundle_sha256=checked.sha256,
                bundle_size=len(checked.data),
                version=checked.version,
                manifest=checked.manifest,
                note=note,
                created_by=owner,
                **source_fields,
            )
            written = _store_revision_files(revision, checked, normal)
            revision.save()
            submission.current_revision = revision
            submission.save(update_fields=["current_revision"])
            record_event(
                submission,
                action=Action.SUBMIT,
                actor=owner,
                from_status=Status.SUBMITTED,
                to_status=Status.SUBMITTED,
                reason_text=note,
                evidence={
                    "version": checked.version,
                    "bundle_sha256": checked.sha256,
                    "source": source_fields.get("source_sha256") or source.git_url,
                    "recertifies": recertifies.pk if recertifies else None,
                },
            )
            outbox.enqueue("certification.tasks.intake_task", revision_id=revision.pk)
    except IntegrityError as exc:
        _delete(written)
        raise Conflict(f"a submission for {checked.plugin_id!r} is already in progress") from exc
    except Exception:
        _delete(written)
        raise
    return submission


def _delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


@transaction.atomic
def submission_resubmit(
    *,
    submission_id: int,
    actor: User,
    bundle: BinaryIO | bytes | None = None,
    source: SourceInput | None = None,
    note: str = "",
) -> Submission:
    """After changes were requested: a new revision (source and/or bundle), back to the stage."""
    submission = lock_submission(submission_id)
    if submission.owner_id != actor.pk:
        raise NotAllowed("only the developer who submitted it may resubmit")
    if submission.status != Status.CHANGES_REQUESTED:
        raise Conflict("resubmit only after changes were requested")
    if bundle is None and (source is None or not source.given):
        raise InvalidInput("resubmit a new source, a new bundle, or both")
    checked = check_bundle(bundle) if bundle is not None else None
    if checked is not None and checked.plugin_id != submission.plugin_id:
        raise InvalidInput(
            f"the bundle is for {checked.plugin_id!r}, this submission is {submission.plugin_id!r}"
        )
    previous = submission.current_revision
    assert previous is not None
    number = (submission.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = SubmissionRevision(
        submission=submission,
        number=number,
        note=note,
        created_by=actor,
        source_kind=previous.source_kind,
        source_filename=previous.source_filename,
        source_archive=previous.source_archive.name,
        git_url=previous.git_url,
        git_ref=previous.git_ref,
        source_status=previous.source_status,
        source_error=previous.source_error,
        source_sha256=previous.source_sha256,
        bundle=previous.bundle.name,
        bundle_sha256=previous.bundle_sha256,
        bundle_size=previous.bundle_size,
        version=previous.version,
        manifest=previous.manifest,
    )
    if previous.source_status == SourceStatus.FAILED and (source is None or not source.given):
        raise InvalidInput(f"the last source could not be read ({previous.source_error}); send one")
    normal = None
    if source is not None and source.given:
        fields, normal = _source_fields(source)
        revision.source_archive = None
        revision.source_filename = ""
        revision.git_url = revision.git_ref = revision.source_sha256 = revision.source_error = ""
        for key, value in fields.items():
            setattr(revision, key, value)
    if checked is not None:
        revision.bundle_sha256 = checked.sha256
        revision.bundle_size = len(checked.data)
        revision.version = checked.version
        revision.manifest = checked.manifest
    written = _store_revision_files(revision, checked, normal)
    try:
        revision.save()
        submission.current_revision = revision
        submission.version = revision.version
        submission.save(update_fields=["current_revision", "version", "updated_at"])
        target = submission.return_stage or Status.SUBMITTED
        _move(
            submission,
            action=Action.RESUBMIT,
            actor=actor,
            to=target,
            reason_text=note,
            evidence={
                "revision": number,
                "new_bundle": checked is not None,
                "new_source": normal is not None or bool(source and source.git_url),
            },
        )
        outbox.enqueue("certification.tasks.intake_task", revision_id=revision.pk)
    except Exception:
        _delete(written)
        raise
    return submission


def revision_intake(*, revision_id: int) -> None:
    """Make a revision's source ready (clone a git source), then start what waits for it.

    Runs in a worker. Cloning happens outside any transaction; a developer error (no such
    repository or ref) fails the intake with a readable reason, a timeout raises UpstreamError
    so that the task retries.
    """
    revision = SubmissionRevision.objects.select_related("submission").get(pk=revision_id)
    if revision.source_status == SourceStatus.PENDING:
        try:
            normal = sources.clone_source(revision.git_url, revision.git_ref)
        except InvalidInput as exc:
            _source_failed(revision_id, str(exc))
            return
        except UpstreamError:
            raise
        _source_ready(revision_id, normal)
    _after_intake(revision_id)


@transaction.atomic
def _source_ready(revision_id: int, normal: sources.NormalisedSource) -> None:
    revision = SubmissionRevision.objects.select_for_update().get(pk=revision_id)
    if revision.source_status != SourceStatus.PENDING:
        return  # another run finished first
    written = _store_revision_files(revision, None, normal)
    try:
        revision.source_status = SourceStatus.READY
        revision.source_sha256 = normal.sha256
        revision.save(update_fields=["source_archive", "source_status", "source_sha256"])
    except Exception:
        _delete(written)
        raise


@transaction.atomic
def _source_failed(revision_id: int, reason: str) -> None:
    revision = SubmissionRevision.objects.select_for_update().get(pk=revision_id)
    if revision.source_status != SourceStatus.PENDING:
        return
    revision.source_status = SourceStatus.FAILED
    revision.source_error = reason
    revision.save(update_fields=["source_status", "source_error"])
    submission = revision.submission
    if submission.current_revision_id == revision.pk and submission.status == Status.SUBMITTED:
        submission_fail_intake(submission_id=submission.pk, reason=reason)


def _after_intake(revision_id: int) -> None:
    revision = SubmissionRevision.objects.select_related("submission").get(pk=revision_id)
    submission = revision.submission
    if (
        submission.current_revision_id != revision.pk
        or revision.source_status != SourceStatus.READY
    ):
        return
    if submission.status == Status.SUBMITTED:
        submission_start_review(submission_id=submission.pk)
    elif submission.status == Status.RELEASE_REVIEW:
        from certification.services.scans import scans_start

        with transaction.atomic():
            scans_start(submission=lock_submission(submission.pk))


def revision_intake_give_up(*, revision_id: int, reason: str) -> None:
    """Retries exhausted (git kept timing out): fail the intake with the last reason."""
    _source_failed(revision_id, f"{reason} (gave up after several attempts)")
