"""Keep the files a developer chose when a form comes back with errors.

Browsers never refill a file input, so a submit form that failed on, say, the licence would
otherwise make the developer pick their bundle and source again. Files that passed their own
field's checks are kept in a private folder under ``VAR_DIR`` for this session only, named by
random tokens held in the session; the re-rendered form says which file is kept, and a new
choice replaces it. A successful submit deletes them; files older than a day are swept at the
next stash.
"""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict

SESSION_KEY = "frontend_upload_stash"
MAX_AGE_SECONDS = 24 * 3600


def _root() -> Path:
    return Path(settings.VAR_DIR) / "upload-stash"


def _sweep(root: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for entry in root.iterdir() if root.exists() else ():
        if entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)


def stash(request: HttpRequest, upload: UploadedFile) -> str:
    """Keep ``upload`` for this session; returns the token the form carries."""
    root = _root()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sweep(root)
    token = secrets.token_urlsafe(16)
    folder = root / token
    folder.mkdir(mode=0o700)
    upload.seek(0)
    with (folder / "data").open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept[token] = Path(upload.name or "upload").name[:200]
    request.session[SESSION_KEY] = kept
    return token


def restore(request: HttpRequest, token: str) -> UploadedFile | None:
    """The kept file for ``token`` if it belongs to this session, else None."""
    name = request.session.get(SESSION_KEY, {}).get(token)
    if not name or not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = _root() / token / "data"
    if not path.is_file():
        return None
    return SimpleUploadedFile(name, path.read_bytes())


def discard_all(request: HttpRequest) -> None:
    for token in request.session.pop(SESSION_KEY, {}):
        if token.replace("-", "").replace("_", "").isalnum():
            shutil.rmtree(_root() / token, ignore_errors=True)


def merge_files(request: HttpRequest, fields: tuple[str, ...]) -> MultiValueDict[str, UploadedFile]:
    """``request.FILES`` plus kept files for fields where no new file was chosen."""
    files: MultiValueDict[str, UploadedFile] = request.FILES.copy()
    for field in fields:
        token = request.POST.get(f"{field}_kept", "")
        if field not in files and token:
            restored = restore(request, token)
            if restored is not None:
                files[field] = restored
    return files


def keep_valid(
    request: HttpRequest,
    form: object,
    files: MultiValueDict[str, UploadedFile],
    fields: tuple[str, ...],
) -> dict[str, dict[str, str]]:
    """Stash the files of fields without errors; what the template shows as kept."""
    errors = getattr(form, "errors", {})
    kept: dict[str, dict[str, str]] = {}
    for field in fields:
        upload = files.get(field)
        if upload is None or field in errors:
            continue
        kept[field] = {"token": stash(request, upload), "name": Path(upload.name or "").name}
        # A kept file satisfies the field: the browser must not demand a new choice.
        getattr(form, "initial", {})[field] = kept[field]["name"]
    return kept
