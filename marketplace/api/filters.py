"""django-filter filter sets of the catalog API."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet

from marketplace.compat.labels import BETA, COMMUNITY, ENTERPRISE, EXPERIMENTAL, PARTNER
from marketplace.models import AuthorType, Plugin, Release, ReleaseStage
from marketplace.versions import db_version_key, is_valid_version

# The computed labels and the release fields they come from.
_LABEL_RULES: dict[str, dict[str, object]] = {
    PARTNER["name"]: {"author_type": AuthorType.PARTNER},
    COMMUNITY["name"]: {"author_type": AuthorType.COMMUNITY},
    BETA["name"]: {"release_stage": ReleaseStage.BETA},
    EXPERIMENTAL["name"]: {"release_stage": ReleaseStage.EXPERIMENTAL},
    ENTERPRISE["name"]: {"enterprise": True},
}
_HOSTING_CHOICES = [("any", "Any host"), ("on-prem", "On-prem only"), ("cloud", "Cloud only")]


def label_q(name: str, prefix: str = "") -> Q:
    """Releases carrying a label: computed from their fields, or stored in imported data."""
    stored = Q(**{f"{prefix}label_names__contains": f"|{name}|"})
    rule = _LABEL_RULES.get(name)
    if rule is None:
        return stored
    return Q(**{f"{prefix}{key}": value for key, value in rule.items()}) | stored


def compatible_q(server_version: str, prefix: str = "") -> Q:
    """Releases whose min_server_version is at most ``server_version`` (semver, not text)."""
    key = db_version_key(server_version)
    return Q(**{f"{prefix}min_server_version_key": ""}) | Q(
        **{f"{prefix}min_server_version_key__lte": key}
    )


def _validate_version(value: str) -> None:
    if not is_valid_version(value):
        raise ValidationError(f"{value!r} is not a semantic version (MAJOR.MINOR.PATCH)")


def _version_filter() -> django_filters.CharFilter:
    return django_filters.CharFilter(
        method="filter_compatible",
        validators=[_validate_version],
        help_text="A server version (semver): only releases that need at most this version",
    )


def _label_filter() -> django_filters.CharFilter:
    return django_filters.CharFilter(
        method="filter_label", help_text="A label name, e.g. Beta or Partner"
    )


class ReleaseFilter(django_filters.FilterSet):
    author_type = django_filters.ChoiceFilter(choices=AuthorType.choices)
    release_stage = django_filters.ChoiceFilter(choices=ReleaseStage.choices)
    hosting = django_filters.ChoiceFilter(choices=_HOSTING_CHOICES, method="filter_hosting")
    enterprise = django_filters.BooleanFilter()
    certified = django_filters.BooleanFilter()
    label = _label_filter()
    compatible_with = _version_filter()

    class Meta:
        model = Release
        fields = ["author_type", "release_stage", "hosting", "enterprise", "certified"]

    def filter_hosting(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(hosting="" if value == "any" else value)

    def filter_label(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(label_q(value))

    def filter_compatible(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(compatible_q(value))


class PluginFilter(django_filters.FilterSet):
    """Filters on a plugin's newest release; ``compatible_with`` on any of its releases."""

    author_type = django_filters.ChoiceFilter(
        field_name="latest_release__author_type", choices=AuthorType.choices
    )
    release_stage = django_filters.ChoiceFilter(
        field_name="latest_release__release_stage", choices=ReleaseStage.choices
    )
    hosting = django_filters.ChoiceFilter(choices=_HOSTING_CHOICES, method="filter_hosting")
    enterprise = django_filters.BooleanFilter(field_name="latest_release__enterprise")
    certified = django_filters.BooleanFilter(method="filter_certified")
    label = _label_filter()
    compatible_with = _version_filter()

    class Meta:
        model = Plugin
        fields: list[str] = []

    def filter_hosting(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(latest_release__hosting="" if value == "any" else value)

    def filter_certified(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        certified = Release.objects.filter(plugin=OuterRef("pk"), certified=True)
        return queryset.filter(Exists(certified)) if value else queryset.exclude(Exists(certified))

    def filter_label(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(label_q(value, prefix="latest_release__"))

    def filter_compatible(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        compatible = Release.objects.filter(compatible_q(value), plugin=OuterRef("pk"))
        return queryset.filter(Exists(compatible))
