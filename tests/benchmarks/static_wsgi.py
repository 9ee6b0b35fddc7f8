"""The floor of bench_catalog.py: gunicorn serving fixed bytes with no Django at all.

``BENCH_BODY_FILE`` names the file whose bytes every request gets. Comparing the portal with this
app separates what gunicorn itself costs from what the portal's view and middleware cost.
"""

import os
from collections.abc import Callable, Iterable
from pathlib import Path

BODY = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
