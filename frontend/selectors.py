"""Reads the web UI composes: its own (accounts, tokens) and views over the apps' selectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from rest_framework.authtoken.models import Token

from marketplace import selectors as mkt_selectors
from marketplace.versions import db_version_key

if TYPE_CHECKING:
    from marketplace.models import Plugin, Release


def api_token_get(*, user: User | AnonymousUser) -> Token | None:
    if not user.is_authenticated:
        return None
    return Token.objects.filter(user=user).only("created", "user_id").first()


@dataclass(frozen=True)
class CatalogFilters:
    """What a visitor can narrow the catalog by on the marketplace home page."""

    q: str = ""
    author_type: str = ""
    release_stage: str = ""
    label: str = ""
    certified: bool = False
    server_version: str = ""


# Computed Marketplace labels (spec section 5) expressed on the newest release's fields.
_LABEL_CONDITIONS: dict[str, Q] = {
    "Partner": Q(latest_release__author_type="partner"),
    "Community": Q(latest_release__author_type="community"),
    "Beta": Q(latest_release__release_stage="beta"),
    "Experimental": Q(latest_release__release_stage="experimental"),
    "Professional/Enterprise": Q(latest_release__enterprise=True),
}


def catalog_search(*, filters: CatalogFilters) -> QuerySet[Plugin]:
    """Plugins matching the home page's search and filters, by name, each marked certified.

    Built on the marketplace's own selectors: ``plugin_list`` for plugins and ``release_list`` for
    the per-release conditions (certified, compatible with a server version).
    """
    plugins = mkt_selectors.plugin_list().annotate(
        is_certified=Exists(
            mkt_selectors.release_list().filter(plugin=OuterRef("pk"), certified=True)
        )
    )
    if filters.q:
        text = filters.q.strip()
        plugins = plugins.filter(
            Q(plugin_id__iexact=text)
            | Q(plugin_id__icontains=text)
            | Q(name__icontains=text)
            | Q(description__icontains=text)
        )
    if filters.author_type:
        plugins = plugins.filter(author_type=filters.author_type)
    if filters.release_stage:
        plugins = plugins.filter(release_stage=filters.release_stage)
    if filters.label:
        condition = _LABEL_CONDITIONS.get(filters.label, Q())
        plugins = plugins.filter(
            condition | Q(latest_release__label_names__contains=f"|{filters.label}|")
        )
    if filters.certified:
        plugins = plugins.filter(is_certified=True)
    if filters.server_version:
        key = db_version_key(filters.server_version)
        compatible = (
            mkt_selectors.release_list()
            .filter(plugin=OuterRef("pk"))
            .filter(Q(min_server_version_key="") | Q(min_server_version_key__lte=key))
        )
        plugins = plugins.filter(Exists(compatible))
    return plugins.order_by(Lower("name"), "plugin_id")


def label_names() -> tuple[str, ...]:
    return tuple(_LABEL_CONDITIONS)


def plugin_page(*, plugin_id: str) -> tuple[Plugin, list[Release], Release | None]:
    """A plugin, its releases newest first, and its newest certified release (if any)."""
    plugin = mkt_selectors.plugin_get(plugin_id)
    releases = list(mkt_selectors.release_list(plugin_id=plugin_id))
    certified = next((r for r in releases if r.certified), None)
    return plugin, releases, certified


def group_members() -> list[tuple[str, list[User]]]:
    """Each role group with its members, in the order of ``common.roles.ALL_GROUPS``."""
    from common import roles

    members: dict[str, list[User]] = {name: [] for name in roles.ALL_GROUPS}
    for user in User.objects.filter(groups__name__in=roles.ALL_GROUPS).prefetch_related("groups"):
        for group in user.groups.all():
            if group.name in members and user not in members[group.name]:
                members[group.name].append(user)
    return [(name, sorted(users, key=lambda u: u.username)) for name, users in members.items()]
