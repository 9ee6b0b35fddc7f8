"""Notifiers: how people hear about state changes. Chosen in settings, behind a Protocol.

``settings.CERTIFICATION_NOTIFIERS`` lists dotted paths of classes implementing
:class:`Notifier`; the default sends email (Django's mail backends) and, when
``MATTERMOST_WEBHOOK_URL`` is set, posts to a Mattermost incoming webhook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

DEFAULT_NOTIFIERS = (
    "certification.notifications.EmailNotifier",
    "certification.notifications.MattermostWebhookNotifier",
)


@dataclass(frozen=True)
class Notification:
    subject: str
    text: str
    recipients: tuple[str, ...]
    url: str = ""
    fields: dict[str, str] = field(default_factory=dict)


class Notifier(Protocol):
    def send(self, notification: Notification) -> None: ...


class EmailNotifier:
    def send(self, notification: Notification) -> None:
        if not notification.recipients:
            return
        body = notification.text + (f"\n\n{notification.url}" if notification.url else "")
        send_mail(
            subject=f"[Plugin Portal] {notification.subject}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=list(notification.recipients),
            fail_silently=False,
        )


class MattermostWebhookNotifier:
    """POSTs a message to a Mattermost incoming webhook, if one is configured."""

    def send(self, notification: Notification) -> None:
        url = getattr(settings, "MATTERMOST_WEBHOOK_URL", "")
        if not url:
            return
        from common import http

        lines = [f"**{notification.subject}**", notification.text]
        lines += [f"- {k}: {v}" for k, v in notification.fields.items()]
        if notification.url:
            lines.append(notification.url)
        payload = {"text": "\n".join(lines), "username": "Plugin Portal"}
        http.post_json(url, payload, timeout=10.0)


@cache
def _load(path: str) -> Notifier:
    return import_string(path)()


def notifiers() -> list[Notifier]:
    paths = getattr(settings, "CERTIFICATION_NOTIFIERS", DEFAULT_NOTIFIERS)
    return [_load(p) for p in paths]
