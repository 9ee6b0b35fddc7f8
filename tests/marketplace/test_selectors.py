"""Selectors other apps build on: plugin_list's filters and the release getters."""

from __future__ import annotations

import pytest

from common.errors import InvalidInput, NotFound
from marketplace import selectors
from marketplace.models import Release
from tests.marketplace.factories import ReleaseFactory

pytestmark = pytest.mark.django_db


def ids(queryset: object) -> list[str]:
    return [plugin.plugin_id for plugin in queryset]  # type: ignore[attr-defined]


def test_plugin_list_filters() -> None:
    ReleaseFactory(plugin_id="p", author_type="partner", min_server_version="9.9.0")
    ReleaseFactory(plugin_id="b", release_stage="beta", hosting="cloud", description="gitlab")
    ReleaseFactory(plugin_id="e", enterprise=True, min_server_version="10.0.0")
    Release.objects.filter(plugin__plugin_id="b").update(certified=True)
    assert ids(selectors.plugin_list(author_type="partner")) == ["p"]
    assert ids(selectors.plugin_list(release_stage="beta")) == ["b"]
    assert ids(selectors.plugin_list(hosting="cloud")) == ["b"]
    assert ids(selectors.plugin_list(enterprise=True)) == ["e"]
    assert ids(selectors.plugin_list(label="Professional/Enterprise")) == ["e"]
    assert ids(selectors.plugin_list(certified=True)) == ["b"]
    assert ids(selectors.plugin_list(certified=False)) == ["e", "p"]
    assert ids(selectors.plugin_list(compatible_with="9.10.0")) == ["b", "p"]
    assert ids(selectors.plugin_list(search="GITLAB")) == ["b"]
    with pytest.raises(InvalidInput):
        list(selectors.plugin_list(compatible_with="nine"))


def test_getters_raise_not_found() -> None:
    ReleaseFactory(plugin_id="a", version="1.0.0")
    assert selectors.release_get("a", "1.0.0").plugin.plugin_id == "a"
    with pytest.raises(NotFound):
        selectors.plugin_get("b")
    with pytest.raises(NotFound):
        selectors.release_get("a", "2.0.0")
