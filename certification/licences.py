"""Licences a submission may declare (SPDX ids), and how to recognise their text.

Recommended licences are the permissive OSI-approved ones the community server prefers for
plugins (compatible with Mattermost's Apache-2.0 starter template); others are accepted but
shown without the flag. The markers are phrases that appear in every copy of the licence text,
used by the licence check to compare a LICENSE file with the declared id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    spdx_id: str
    name: str
    osi_approved: bool
    recommended: bool
    markers: tuple[str, ...]


_L = Licence
LICENCES: dict[str, Licence] = {
    lic.spdx_id: lic
    for lic in (
        _L("Apache-2.0", "Apache License 2.0", True, True,
           ("apache license", "version 2.0")),
        _L("MIT", "MIT License", True, True,
           ("permission is hereby granted, free of charge",
            "the above copyright notice and this permission notice shall be included")),
        _L("BSD-2-Clause", "BSD 2-Clause \"Simplified\" License", True, True,
           ("redistribution and use in source and binary forms",
            "redistributions in binary form must reproduce")),
        _L("BSD-3-Clause", "BSD 3-Clause \"New\" or \"Revised\" License", True, True,
           ("redistribution and use in source and binary forms",
            "neither the name of")),
        _L("ISC", "ISC License", True, True,
           ("permission to use, copy, modify, and/or distribute this software",)),
        _L("MPL-2.0", "Mozilla Public License 2.0", True, False,
           ("mozilla public license", "version 2.0")),
        _L("GPL-2.0-only", "GNU General Public License v2.0 only", True, False,
           ("gnu general public license", "version 2")),
        _L("GPL-3.0-only", "GNU General Public License v3.0 only", True, False,
           ("gnu general public license", "version 3")),
        _L("LGPL-3.0-only", "GNU Lesser General Public License v3.0 only", True, False,
           ("gnu lesser general public license", "version 3")),
        _L("AGPL-3.0-only", "GNU Affero General Public License v3.0", True, False,
           ("gnu affero general public license", "version 3")),
        _L("Unlicense", "The Unlicense", True, False,
           ("this is free and unencumbered software released into the public domain",)),
    )
}  # fmt: skip


_BY_LOWER = {key.lower(): lic for key, lic in LICENCES.items()}


def licence_get(spdx_id: str) -> Licence | None:
    """The licence of an SPDX id; ids are matched case-insensitively, as SPDX specifies."""
    return _BY_LOWER.get((spdx_id or "").strip().lower())


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def text_matches(spdx_id: str, text: str) -> bool:
    """Whether ``text`` (a LICENSE file) carries every marker phrase of ``spdx_id``."""
    lic = licence_get(spdx_id)
    if lic is None:
        return False
    body = _norm(text)
    return all(marker in body for marker in lic.markers)


def identify(text: str) -> list[str]:
    """SPDX ids whose markers all appear in ``text`` (most specific first)."""
    hits = [lic.spdx_id for lic in LICENCES.values() if text_matches(lic.spdx_id, text)]
    # "GNU Lesser/Affero General Public License" also contain "general public license".
    if any(h.startswith(("LGPL", "AGPL")) for h in hits):
        hits = [h for h in hits if not h.startswith("GPL")]
    if "BSD-3-Clause" in hits:
        hits = [h for h in hits if h != "BSD-2-Clause"]
    return hits
