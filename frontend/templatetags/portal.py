"""Template tags of the web UI: navigation, durations, SLA colours, badges."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from common import roles
from frontend.access import REVIEWER_GROUPS

register = template.Library()

# Reviewers are expected to act on a waiting item within these ages; past them the row turns
# amber, then red. Business days are not modelled: the community works across time zones.
SLA_WARN = timedelta(days=2)
SLA_LATE = timedelta(days=5)


@register.inclusion_tag("frontend/_nav.html", takes_context=True)
def portal_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    path = getattr(request, "path", "")
    groups = roles.user_groups(user) if user is not None else set()
    names: list[tuple[str, str]] = [("Marketplace", "frontend:home"), ("API", "frontend:api-docs")]
    if user is not None and user.is_authenticated:
        names.append(("My submissions", "frontend:submission-list"))
        if groups & REVIEWER_GROUPS or roles.is_portal_admin(user):
            names.append(("Reviews", "frontend:review-queue"))
        if roles.is_portal_admin(user):
            names.append(("Hosts", "frontend:host-list"))
            names.append(("Dashboard", "frontend:dashboard"))
            names.append(("Admin", "frontend:admin-home"))
    nav: list[dict[str, Any]] = []
    for label, name in names:
        try:
            url = reverse(name)
        except NoReverseMatch:  # a page of an area that is not installed
            continue
        nav.append({"label": label, "url": url, "current": False})
    # The current item is the one whose URL is the longest prefix of the path.
    matches = [
        item
        for item in nav
        if path == item["url"] or (item["url"] != "/" and path.startswith(str(item["url"])))
    ]
    if matches:
        max(matches, key=lambda item: len(str(item["url"])))["current"] = True
    return {"items": nav, "user": user}


@register.filter
def age(value: datetime | timedelta | None) -> str:
    """A short human duration: '3 d 4 h', '5 h 10 min', '2 min'."""
    if value is None:
        return ""
    delta = value if isinstance(value, timedelta) else timezone.now() - value
    return format_duration(delta)


def format_duration(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"


def sla_level(value: datetime | timedelta | None) -> str:
    if value is None:
        return "ok"
    delta = value if isinstance(value, timedelta) else timezone.now() - value
    if delta >= SLA_LATE:
        return "late"
    if delta >= SLA_WARN:
        return "warn"
    return "ok"


@register.filter
def sla(value: datetime | timedelta | None) -> str:
    """'ok', 'warn' or 'late' for a waiting time (used as a CSS class suffix)."""
    return sla_level(value)


@register.filter
def sla_label(value: datetime | timedelta | None) -> str:
    return {"ok": "within SLA", "warn": "due soon", "late": "overdue"}[sla_level(value)]


@register.filter
def filesize(value: int | None) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


@register.filter
def initial(value: str | None) -> str:
    """First letter of a plugin name, for the placeholder icon."""
    return (value or "?").strip()[:1].upper() or "?"


@register.simple_tag(takes_context=True)
def query_replace(context: template.Context, **kwargs: Any) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def diff_lines(text: str | None) -> list[tuple[str, str]]:
    """A unified diff as (css class, line) pairs: add, del, hunk, or '' for context."""
    rows: list[tuple[str, str]] = []
    for line in (text or "").splitlines():
        if line.startswith(("+++", "---", "@@")):
            rows.append(("hunk", line))
        elif line.startswith("+"):
            rows.append(("add", line))
        elif line.startswith("-"):
            rows.append(("del", line))
        else:
            rows.append(("", line))
    return rows


_ICON_PREFIXES = ("data:image/svg+xml;base64,", "data:image/png;base64,")


@register.filter
def icon_src(value: str | None) -> str:
    """A plugin icon usable as <img src>: only data URIs of SVG/PNG (an <img> runs no script)."""
    if value and value.startswith(_ICON_PREFIXES) and len(value) < 512 * 1024:
        return value
    return ""


_AUTHOR_BADGE = {"mattermost": "info", "partner": "warn", "community": ""}
_STAGE_BADGE = {"production": "ok", "beta": "warn", "experimental": "bad"}


@register.filter
def author_badge(value: str | None) -> str:
    return _AUTHOR_BADGE.get(value or "", "")


@register.filter
def stage_badge(value: str | None) -> str:
    return _STAGE_BADGE.get(value or "", "")


@register.filter
def title_word(value: str | None) -> str:
    return (value or "").replace("-", " ").replace("_", " ").capitalize()
