from django.conf import settings
from django.core.management import call_command


def test_settings_load_with_embedded_defaults():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_system_checks_pass():
    call_command("check")
