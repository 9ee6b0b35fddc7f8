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
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The reverse proxy in front sets X-Forwarded-Proto; trust it only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Load the application once in the master so that workers fork with it ready.
preload_app = True
