"""Who hears about a state change, and what they read."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model

from certification import workflow
from certification.models import AuditEvent
from certification.notifications import Notification, notifiers
from certification.workflow import Action, Status

logger = logging.getLogger(__name__)


def recipients_for(event: AuditEvent) -> tuple[str, ...]:
    """The developer, the people who act in the stage entered, and earlier reviewers."""
    submission = event.submission
    user_model = get_user_model()
    emails = {submission.owner.email}
    groups = workflow.STAGE_ROLES.get(event.to_status, frozenset())
    if groups and event.to_status != event.from_status:
        emails |= set(
            user_model.objects.filter(groups__name__in=groups, is_active=True).values_list(
                "email", flat=True
            )
        )
    emails |= set(
        user_model.objects.filter(cert_reviews__submission=submission).values_list(
            "email", flat=True
        )
    )
    if event.actor is not None:
        emails.discard(event.actor.email)  # they know: they did it
    return tuple(sorted(e for e in emails if e))


def build_notification(event: AuditEvent) -> Notification:
    submission = event.submission
    who = event.actor.get_username() if event.actor else "the portal"
    if event.from_status != event.to_status:
        subject = (
            f"{submission.name} ({submission.plugin_id}) is now "
            f"{Status(event.to_status).label.lower()}"
        )
    else:
        subject = f"{submission.name} ({submission.plugin_id}): {Action(event.action).label}"
    text = f"{Action(event.action).label} by {who}. {submission.status_message}"
    if event.reason_text and event.reason_text not in text:
        text += f"\n\n{event.reason_text}"
    return Notification(
        subject=subject,
        text=text,
        recipients=recipients_for(event),
        url=f"{settings.PORTAL_BASE_URL}/api/certification/submissions/{submission.pk}/",
        fields={"version": submission.version, "stage": Status(submission.status).label},
    )


def notify_event(*, event_id: int) -> int:
    """Send one event through every configured notifier; returns how many succeeded."""
    event = AuditEvent.objects.select_related("submission__owner", "actor").get(pk=event_id)
    notification = build_notification(event)
    sent = 0
    errors = []
    for notifier in notifiers():
        try:
            notifier.send(notification)
            sent += 1
        except Exception as exc:  # one channel failing must not silence the others
            logger.warning("notifier %s failed: %s", type(notifier).__name__, exc)
            errors.append(exc)
    if errors and not sent:
        raise errors[0]
    return sent
