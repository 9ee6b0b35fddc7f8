"""Install the certification app's periodic tasks (nightly pull, reaper, outbox sweep).

Uses the historical models; the beat process re-applies the current settings on start
(``certification.tasks._ensure_schedule``), so a changed NIGHTLY_PULL_TIME takes effect then.
"""

from django.conf import settings
from django.db import migrations


def install(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    hour, minute = (int(p) for p in settings.NIGHTLY_PULL_TIME.split(":"))
    crontab, _ = crontab_model.objects.get_or_create(
        minute=str(minute), hour=str(hour), day_of_week="*", day_of_month="*",
        month_of_year="*", timezone="UTC",
    )
    reaper, _ = interval_model.objects.get_or_create(every=5, period="minutes")
    sweep, _ = interval_model.objects.get_or_create(every=60, period="seconds")
    for name, task, schedule in (
        ("certification: pull nightly builds", "certification.tasks.nightly_schedule_task",
         {"crontab": crontab}),
        ("certification: reap stale builds, scans and deployments",
         "certification.tasks.reaper_task", {"interval": reaper}),
        ("certification: send pending tasks (outbox)", "certification.tasks.outbox_sweep_task",
         {"interval": sweep}),
    ):
        task_model.objects.update_or_create(
            name=name, defaults={"task": task, "enabled": True, **schedule}
        )


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__startswith="certification: "
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
