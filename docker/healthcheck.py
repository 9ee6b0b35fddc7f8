"""Container health checks of the portal image: ``python docker/healthcheck.py ROLE``.

web:        GET /api/v1/health through gunicorn, as the reverse proxy would send it (an allowed
            Host and X-Forwarded-Proto: https, so the production https redirect does not apply).
worker:     the Celery worker of this container answers a broadcast ping.
beat, supervisor, db: the database answers (those processes die, and the container with them,
            when their loop fails; what they need from outside is the database).
Exit status 0 means healthy.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from pathlib import Path


def check_web() -> None:
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h and "*" not in h]
    host = hosts[0].lstrip(".") if hosts else "localhost"
    port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/health",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed http URL
        if response.status != 200:
            raise SystemExit(f"health answered {response.status}")


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def check_db() -> None:
    _django()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_worker() -> None:
    _django()
    from portal.celery import app

    node = f"celery@{socket.gethostname()}"
    replies = app.control.ping(destination=[node], timeout=5.0)
    if not replies:
        raise SystemExit(f"{node} did not answer the ping")


CHECKS = {
    "web": check_web,
    "worker": check_worker,
    "beat": check_db,
    "supervisor": check_db,
    "db": check_db,
}

if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else "web"
    if role not in CHECKS:
        raise SystemExit(f"unknown role {role!r}; one of {', '.join(CHECKS)}")
    CHECKS[role]()
