"""import_marketplace: the service and the command (spec section 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from marketplace.models import CatalogState, Plugin, Release
from marketplace.services import catalog_import
from tests.marketplace.entries import dump, make_entry

pytestmark = pytest.mark.django_db


def test_import_creates_plugins_and_releases() -> None:
    report = catalog_import(data=dump([make_entry("a", "1.0.0"), make_entry("a", "1.1.0")]))
    assert (report.created, report.plugins_created) == (2, 1)
    plugin = Plugin.objects.get(plugin_id="a")
    assert plugin.latest_release is not None and plugin.latest_release.version == "1.1.0"
    assert plugin.release_count == 2


def test_import_is_idempotent() -> None:
    data = dump([make_entry("a", "1.0.0"), make_entry("b", "2.0.0")])
    catalog_import(data=data)
    revision = CatalogState.objects.get().revision
    report = catalog_import(data=data)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert Release.objects.count() == 2
    assert CatalogState.objects.get().revision == revision


def test_reimport_updates_a_changed_entry() -> None:
    catalog_import(data=dump([make_entry("a", "1.0.0")]))
    report = catalog_import(data=dump([make_entry("a", "1.0.0", download_url="https://new")]))
    assert report.updated == 1
    assert Release.objects.get().download_url == "https://new"


def test_invalid_versions_are_refused_and_the_rest_imported() -> None:
    report = catalog_import(
        data=dump(
            [
                make_entry("good", "1.0.0"),
                make_entry("bad", "v1.0.0"),
                make_entry("bad-min", "1.0.0", min_server_version="5.x"),
                make_entry("empty", ""),
            ]
        )
    )
    assert list(Release.objects.values_list("plugin__plugin_id", flat=True)) == ["good"]
    assert len(report.refused) == 3
    assert "'v1.0.0'" in report.refused[0] and "manifest.version" in report.refused[0]
    assert "min_server_version" in report.refused[1] and "'5.x'" in report.refused[1]
    assert not Plugin.objects.filter(plugin_id__in=["bad", "bad-min", "empty"]).exists()


def test_duplicate_id_version_keeps_the_later_entry_and_says_so() -> None:
    report = catalog_import(
        data=dump(
            [
                make_entry("a", "1.0.0", download_url="https://first"),
                make_entry("a", "1.0.0", download_url="https://second"),
            ]
        )
    )
    assert Release.objects.get().download_url == "https://second"
    assert len(report.duplicates) == 1 and "later" in report.duplicates[0]


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b'{"a": 1}',
        b"[1, 2]",
        json.dumps([{"download_url": "x"}]).encode(),
        b"[NaN]",
        b'{"manifest": {"id": "n", "version": "1.0.0", "props": {"x": 1e400}}}',
        b"\xff\xfe",
    ],
)
def test_bad_files_change_nothing(data: bytes) -> None:
    catalog_import(data=dump([make_entry("kept", "1.0.0")]))
    before = list(Release.objects.values_list("entry", flat=True))
    with pytest.raises(Exception) as info:
        catalog_import(data=dump([make_entry("new", "1.0.0")])[:-1] + b"," + data + b"]")
    assert "nothing" in str(info.value) or "JSON" in str(info.value)
    assert list(Release.objects.values_list("entry", flat=True)) == before
    assert not Plugin.objects.filter(plugin_id="new").exists()


def test_entry_without_manifest_refuses_the_whole_file() -> None:
    with pytest.raises(Exception, match="manifest"):
        catalog_import(data=dump([make_entry("a"), {"download_url": "x"}]))
    assert Release.objects.count() == 0


def test_every_field_is_kept() -> None:
    entry = make_entry(
        "a",
        "1.0.0",
        labels=[{"name": "Old", "description": "d", "url": "u", "color": "#fff"}],
        manifest_extra={"settings_schema": {"settings": [{"key": "K", "default": 1.5}]}},
        future_key={"nested": [1, 2]},
    )
    catalog_import(data=dump([entry]))
    release = Release.objects.get()
    assert json.loads(release.raw) == entry
    assert json.loads(release.entry) == entry


def test_command_prints_a_summary_and_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "plugins.json"
    path.write_bytes(dump([make_entry("a", "1.0.0"), make_entry("b", "nope")]))
    call_command("import_marketplace", str(path))
    out, err = capsys.readouterr()
    assert "1 created" in out and "1 refused" in out
    assert "'b'" in err and "'nope'" in err


def test_command_fails_clearly_on_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "plugins.json"
    path.write_text("{}")
    with pytest.raises(CommandError, match="JSON array"):
        call_command("import_marketplace", str(path), "--no-progress")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_marketplace", str(tmp_path / "missing.json"))
    assert Release.objects.count() == 0


def test_lone_surrogates_become_replacement_characters_as_in_go() -> None:
    data = dump([make_entry("a", name="x")]).replace(b'"name": "x"', b'"name": "x\\ud800y"')
    catalog_import(data=data)
    release = Release.objects.get()
    assert json.loads(release.entry)["manifest"]["name"] == "x\ufffdy"
    assert "\\ud800" in release.raw


def test_entries_with_nul_characters_are_refused() -> None:
    report = catalog_import(data=dump([make_entry("a", name="x\x00y"), make_entry("b")]))
    assert len(report.refused) == 1 and "NUL" in report.refused[0]
    assert list(Release.objects.values_list("plugin__plugin_id", flat=True)) == ["b"]


def test_updated_at_text_is_kept_as_given_and_invalid_times_refused() -> None:
    report = catalog_import(
        data=dump(
            [
                make_entry("a", updated_at="2024-01-02T03:04:05.500000000+02:00"),
                make_entry("b", updated_at="yesterday"),
                make_entry("c", updated_at=None),
            ]
        )
    )
    assert len(report.refused) == 1 and "'b'" in report.refused[0]
    a = Release.objects.get(plugin__plugin_id="a")
    assert json.loads(a.entry)["updated_at"] == "2024-01-02T03:04:05.500000000+02:00"
    assert a.updated_at.isoformat() == "2024-01-02T01:04:05.500000+00:00"
    c = Release.objects.get(plugin__plugin_id="c")
    assert json.loads(c.entry)["updated_at"] == "0001-01-01T00:00:00Z"
