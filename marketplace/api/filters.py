"""django-filter filter sets of the catalog API."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet

from marketplace.models import AuthorType, Plugin, Release, ReleaseStage
from marketplace.selectors import release_compatible_q, release_label_q
from marketplace.versions import is_valid_version

_HOSTING_CHOICES = [("any", "Any host"), ("on-prem", "On-prem only"), ("cloud", "Cloud only")]


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
        return queryset.filter(release_label_q(value))

    def filter_compatible(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(release_compatible_q(value))


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
        return queryset.filter(release_label_q(value, prefix="latest_release__"))

    def filter_compatible(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        compatible = Release.objects.filter(release_compatible_q(value), plugin=OuterRef("pk"))
        return queryset.filter(Exists(compatible))
