"""gunicorn settings of the production image (and of the catalog benchmark).

Values come from the environment so that one image fits machines of any size.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Threaded workers (gthread, chosen by gunicorn when threads > 1): unlike sync workers they keep
# HTTP connections alive and overlap database waits. On the catalog benchmark (2 CPUs) that took
# a bare WSGI app from ~670 to ~3,300 req/s (docs/benchmarks.md).
workers = int(os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# No periodic worker recycling by default: a fresh worker first loads the catalog snapshot, and
# recycling every 2,000 requests put that stall into the catalog's p99 (757 ms vs 50 ms without,
# docs/benchmarks.md). Set GUNICORN_MAX_REQUESTS (e.g. 100000) to bound a suspected leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# The reverse proxy in front sets X-Forwarded-Proto; trust it only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Load the application once in the master so that workers fork with it ready.
preload_app = True
