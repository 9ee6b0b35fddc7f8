"""factory_boy factories: catalog entries, and releases made through the import service."""

from __future__ import annotations

from typing import Any

import factory

from marketplace.models import Release
from marketplace.services import catalog_import
from tests.marketplace.entries import dump, make_entry


class EntryFactory(factory.Factory):
    """A plugins.json entry (a dict)."""

    class Meta:
        model = dict

    @classmethod
    def _build(cls, model_class: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return make_entry(*args, **kwargs)

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        return make_entry(*args, **kwargs)

    plugin_id = factory.Sequence(lambda n: f"com.example.p{n:03d}")
    version = "1.0.0"
    name = factory.LazyAttribute(lambda o: f"Plugin {o.plugin_id.rsplit('.', 1)[-1]}")
    description = "A plugin for tests"


class ReleaseFactory(EntryFactory):
    """A catalog release, created the way operators create them: by import."""

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Release:
        entry = make_entry(*args, **kwargs)
        catalog_import(data=dump([entry]))
        return Release.objects.select_related("plugin").get(
            plugin__plugin_id=entry["manifest"]["id"], version=entry["manifest"]["version"]
        )
