"""Demo data of the host servers: the three default hosts (``load_demo`` calls this)."""

from __future__ import annotations

from typing import Any

from hostserver.services import host_ensure_defaults


def load_demo() -> dict[str, Any]:
    hosts = host_ensure_defaults()
    return {"host servers": [host.name for host in hosts]}
