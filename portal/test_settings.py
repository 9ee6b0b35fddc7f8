"""Settings for the test suite: the same settings module, with its state in a throw-away folder.

Everything still comes from ``portal.settings`` (so ``DATABASE_URL`` and ``REDIS_URL`` from the
environment are honoured, as CI needs); only where state lives and a few speed knobs differ.
"""

import os
import tempfile

os.environ.setdefault("PORTAL_ENV", "test")
os.environ.setdefault("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix="portal-test-"))

from portal.settings import *  # noqa: F403
from portal.settings import REST_FRAMEWORK

# Hashing passwords slowly protects real users; tests only need it to work.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "true").lower() == "true"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/minute", "user": "10000/minute"},
}

# A file, not ":memory:", so that the processes a test starts (Celery worker, plugin supervisor)
# see the same test database. pytest-django suffixes it per xdist worker.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# Tests run without collectstatic: whitenoise serves from the apps' static folders (as in
# development) instead of warning that STATIC_ROOT does not exist.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
