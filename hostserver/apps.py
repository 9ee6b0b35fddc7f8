from django.apps import AppConfig


class HostserverConfig(AppConfig):
    name = "hostserver"
    default_auto_field = "django.db.models.BigAutoField"
