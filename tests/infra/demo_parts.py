"""Stand-in demo modules for the load_demo command's own tests (not collected: no test_ prefix)."""

from django.contrib.auth.models import User

DEMO_PASSWORD = "demo-password-for-tests"
CALLS: list[str] = []


def load_demo() -> str:
    CALLS.append("load_demo")
    User.objects.get_or_create(username="demo-admin", defaults={"is_superuser": True})
    return "1 account"


def broken() -> None:
    raise RuntimeError("the demo bundle could not be built")
