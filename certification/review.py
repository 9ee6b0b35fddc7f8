"""View models of the basic review: the plugin's code minus the starter template.

Pure functions over (path, bytes) pairs and fingerprints, so the API, the web UI and the
re-certification diff share them.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from certification.fingerprints import Fingerprints, line_hash, normalised_sha256, text_of

MAX_SHOWN_LINES = 5000
#: Bigger text files (generated bundles, lock files) are listed, not shown.
MAX_SHOWN_BYTES = 512 * 1024


@dataclass
class Hunk:
    start: int  # 1-based line number of the first line
    lines: list[str]


@dataclass
class FileView:
    path: str
    status: str  # template (hidden) | changed | new | binary | too_large
    size: int
    hunks: list[Hunk] = field(default_factory=list)
    template_lines_hidden: int = 0
    diff: str = ""  # unified diff (re-certification against the last certified source)

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "status": self.status,
            "size": self.size,
            "template_lines_hidden": self.template_lines_hidden,
            "hunks": [{"start": h.start, "lines": h.lines} for h in self.hunks],
            "diff": self.diff,
        }


@dataclass
class ReviewView:
    fingerprints_source: str
    files: list[FileView]

    @property
    def hidden(self) -> list[str]:
        return [f.path for f in self.files if f.status == "template"]

    @property
    def shown(self) -> list[FileView]:
        return [f for f in self.files if f.status != "template"]

    def as_dict(self) -> dict:
        return {
            "fingerprints": self.fingerprints_source,
            "hidden_template_files": self.hidden,
            "files": [f.as_dict() for f in self.shown],
        }


def _hunks(text: str, template_lines: frozenset[str]) -> tuple[list[Hunk], int]:
    hunks: list[Hunk] = []
    hidden = 0
    current: Hunk | None = None
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        stripped = line.strip()
        if stripped and line_hash(stripped) in template_lines:
            hidden += 1
            current = None
            continue
        if not stripped and current is None:
            continue  # blank lines only inside a hunk
        if current is None:
            current = Hunk(start=number, lines=[])
            hunks.append(current)
        current.lines.append(line)
    for hunk in hunks:  # trailing blank lines carry nothing
        while hunk.lines and not hunk.lines[-1].strip():
            hunk.lines.pop()
    return [h for h in hunks if h.lines], hidden


def template_view(
    files: Iterable[tuple[str, bytes]], fingerprints: Fingerprints | None
) -> ReviewView:
    """Hide files identical (exactly or normalised) to a template version of the same path;
    show changed template files as their non-template lines, and new files whole."""
    out = []
    for path, data in sorted(files):
        entry = fingerprints.entry(path) if fingerprints else None
        text = text_of(data)
        digest = hashlib.sha256(data).hexdigest()
        if entry is not None and (
            digest in entry["sha256"]
            or (text is not None and normalised_sha256(text) in entry["normalised_sha256"])
        ):
            out.append(FileView(path=path, status="template", size=len(data)))
            continue
        if text is None:
            out.append(FileView(path=path, status="binary", size=len(data)))
            continue
        if len(data) > MAX_SHOWN_BYTES:
            out.append(FileView(path=path, status="too_large", size=len(data)))
            continue
        if entry is not None:
            hunks, hidden = _hunks(text, entry["line_hashes"])
            out.append(
                FileView(path, "changed", len(data), hunks=hunks, template_lines_hidden=hidden)
            )
        else:
            lines = text.replace("\r\n", "\n").split("\n")[:MAX_SHOWN_LINES]
            out.append(FileView(path, "new", len(data), hunks=[Hunk(1, lines)] if text else []))
    return ReviewView(fingerprints.source if fingerprints else "", out)


def release_diff(
    old: Iterable[tuple[str, bytes]], new: Iterable[tuple[str, bytes]]
) -> list[FileView]:
    """Unified diffs between the last certified source and this one (re-certification)."""
    before, after = dict(old), dict(new)
    out = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if a == b:
            continue
        status = "new" if a is None else ("removed" if b is None else "changed")
        ta, tb = text_of(a or b""), text_of(b or b"")
        if ta is None or tb is None:
            out.append(FileView(path, "binary", len(b or b"")))
            continue
        diff = "".join(
            difflib.unified_diff(
                ta.splitlines(keepends=True),
                tb.splitlines(keepends=True),
                fromfile=f"certified/{path}",
                tofile=f"new/{path}",
            )
        )
        out.append(FileView(path, status, len(b or b""), diff=diff))
    return out
