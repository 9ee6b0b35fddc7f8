"""The Marketplace semantics over a list of entries: one test per rule of spec section 2."""

from __future__ import annotations

import json
import random
from typing import Any

from django.http import QueryDict

from marketplace.compat import (
    ALL_LABELS,
    ENTRY_KEYS,
    CatalogEntry,
    normalize_entry,
    parse_query,
    query_plugins,
    query_plugins_json,
)
from marketplace.compat.gosort import stable_sort
from tests.marketplace.entries import make_entry


def catalog(*entries: dict[str, Any]) -> list[CatalogEntry]:
    return [CatalogEntry.from_entry(normalize_entry(entry)) for entry in entries]


def run(entries: list[CatalogEntry], query: str = "") -> list[dict[str, Any]]:
    return query_plugins(entries, parse_query(QueryDict(query).getlist))


def ids_versions(result: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["manifest"]["id"], item["manifest"]["version"]) for item in result]


def test_per_page_zero_returns_empty_list() -> None:
    assert run(catalog(make_entry()), "per_page=0") == []


def test_enterprise_entries_hidden_without_enterprise_plugins() -> None:
    entries = catalog(make_entry("ent", enterprise=True), make_entry("free"))
    assert ids_versions(run(entries)) == [("free", "1.0.0")]
    assert ids_versions(run(entries, "server_version=9.0.0")) == [("free", "1.0.0")]


def test_enterprise_entries_shown_with_enterprise_plugins() -> None:
    entries = catalog(make_entry("ent", enterprise=True))
    assert ids_versions(run(entries, "enterprise_plugins=true")) == [("ent", "1.0.0")]


def test_enterprise_entries_shown_to_servers_older_than_5_25() -> None:
    entries = catalog(make_entry("ent", enterprise=True))
    for old in ("5.24.9", "5.25.0-rc1", "4.0.0"):
        assert len(run(entries, f"server_version={old}")) == 1, old
    assert run(entries, "server_version=5.25.0") == []


def test_cloud_true_hides_on_prem_entries() -> None:
    entries = catalog(make_entry("a", hosting="on-prem"), make_entry("b", hosting="cloud"))
    assert ids_versions(run(entries, "cloud=true")) == [("b", "1.0.0")]


def test_cloud_false_hides_cloud_entries() -> None:
    entries = catalog(make_entry("a", hosting="on-prem"), make_entry("b", hosting="cloud"))
    assert ids_versions(run(entries)) == [("a", "1.0.0")]


def test_entries_without_hosting_are_always_shown() -> None:
    entries = catalog(make_entry("a"))
    assert len(run(entries, "cloud=true")) == len(run(entries, "cloud=false")) == 1


def test_min_server_version_gate_spec_example() -> None:
    entries = catalog(
        make_entry("demo", "0.1.0", min_server_version="5.14.0"),
        make_entry("demo", "0.2.0", min_server_version="5.15.0"),
    )
    assert ids_versions(run(entries, "server_version=5.14.0")) == [("demo", "0.1.0")]
    assert ids_versions(run(entries, "server_version=5.15.0")) == [("demo", "0.2.0")]
    assert run(entries, "server_version=5.13.0") == []
    assert ids_versions(run(entries, "server_version=5.15.0&return_all_versions=true")) == [
        ("demo", "0.2.0"),
        ("demo", "0.1.0"),
    ]


def test_min_server_version_compares_as_semver_with_prereleases() -> None:
    entries = catalog(make_entry("a", min_server_version="9.0.0"))
    assert run(entries, "server_version=9.0.0-rc1") == []
    assert len(run(entries, "server_version=10.0.0")) == 1
    # Not a string comparison: 10.0.0 > 9.0.0 and 9.10.0 > 9.9.0.
    assert len(run(catalog(make_entry("b", min_server_version="9.9.0")), "server_version=9.10.0"))


def test_no_server_version_means_no_version_filtering() -> None:
    assert len(run(catalog(make_entry("a", min_server_version="99.0.0")))) == 1


def test_entries_without_min_server_version_always_pass() -> None:
    assert len(run(catalog(make_entry("a")), "server_version=0.0.1")) == 1


def _platformed() -> list[CatalogEntry]:
    return catalog(
        make_entry(
            "p",
            platforms={
                "linux-amd64": {"download_url": "https://x/linux.tar.gz", "signature": "bGlu"},
                "darwin-amd64": {"download_url": "https://x/darwin.tar.gz"},
                "windows-amd64": {},
                "linux-arm64": {"download_url": "https://x/arm.tar.gz", "signature": "YXJt"},
            },
        )
    )


def test_platform_substitution_replaces_url_and_signature() -> None:
    (item,) = run(_platformed(), "platform=linux-amd64")
    assert (item["download_url"], item["signature"]) == ("https://x/linux.tar.gz", "bGlu")


def test_platform_substitution_needs_both_values_non_empty() -> None:
    (item,) = run(_platformed(), "platform=darwin-amd64")
    assert (item["download_url"], item["signature"]) == (
        "https://example.org/p-1.0.0.tar.gz",
        "c2ln",
    )


def test_platform_substitution_only_for_the_three_known_platforms() -> None:
    (item,) = run(_platformed(), "platform=linux-arm64")
    assert item["download_url"] == "https://example.org/p-1.0.0.tar.gz"


def test_platforms_object_is_returned_unchanged() -> None:
    (item,) = run(_platformed(), "platform=linux-amd64")
    assert item["platforms"] == {
        "linux-amd64": {"download_url": "https://x/linux.tar.gz", "signature": "bGlu"},
        "darwin-amd64": {"download_url": "https://x/darwin.tar.gz"},
        "windows-amd64": {},
        "linux-arm64": {"download_url": "https://x/arm.tar.gz", "signature": "YXJt"},
    }


def test_empty_platforms_keep_their_three_keys() -> None:
    (item,) = run(catalog(make_entry("a", platforms={})))
    assert json.dumps(item["platforms"]) == (
        '{"linux-amd64": {}, "darwin-amd64": {}, "windows-amd64": {}}'
    )


def test_reduction_keeps_the_highest_compatible_version_per_id() -> None:
    entries = catalog(
        make_entry("a", "1.0.0"),
        make_entry("a", "2.0.0", min_server_version="10.0.0"),
        make_entry("a", "1.5.0"),
    )
    assert ids_versions(run(entries, "server_version=9.0.0")) == [("a", "1.5.0")]
    assert ids_versions(run(entries, "server_version=10.0.0")) == [("a", "2.0.0")]


def test_equal_versions_the_later_entry_wins() -> None:
    entries = catalog(
        make_entry("a", "1.0.0+first", name="First"), make_entry("a", "1.0.0+second", name="Second")
    )
    assert [item["manifest"]["name"] for item in run(entries)] == ["Second"]


def test_prerelease_ranks_below_its_release() -> None:
    entries = catalog(make_entry("z", "1.6.0"), make_entry("z", "1.6.0-cloud"))
    assert ids_versions(run(entries)) == [("z", "1.6.0")]


def test_return_all_versions_lists_every_compatible_version_newest_first() -> None:
    entries = catalog(
        make_entry("a", "1.0.0"),
        make_entry("a", "1.10.0"),
        make_entry("a", "1.2.0-beta.1"),
        make_entry("a", "1.2.0"),
        make_entry("a", "3.0.0", enterprise=True),
    )
    assert [v for _, v in ids_versions(run(entries, "return_all_versions=true"))] == [
        "1.10.0",
        "1.2.0",
        "1.2.0-beta.1",
        "1.0.0",
    ]


def test_plugin_id_is_exact_and_case_sensitive() -> None:
    entries = catalog(make_entry("Jira"), make_entry("jira-server"))
    assert ids_versions(run(entries, "plugin_id=Jira")) == [("Jira", "1.0.0")]
    assert run(entries, "plugin_id=jira") == []


def test_plugin_id_is_applied_after_the_reduction() -> None:
    entries = catalog(make_entry("a", "1.0.0"), make_entry("a", "2.0.0"))
    assert ids_versions(run(entries, "plugin_id=a")) == [("a", "2.0.0")]
    assert len(run(entries, "plugin_id=a&return_all_versions=true")) == 2


def test_filter_matches_id_only_by_equality() -> None:
    entries = catalog(make_entry("com.example.jira", name="Tracker", description="issues"))
    assert len(run(entries, "filter=COM.EXAMPLE.JIRA")) == 1
    assert run(entries, "filter=jira") == []


def test_filter_matches_name_and_description_substrings_case_insensitively() -> None:
    entries = catalog(
        make_entry("a", name="GitHub Integration", description="x"),
        make_entry("b", name="Other", description="Talks to GITHUB too"),
        make_entry("c", name="Nope", description="nothing"),
    )
    assert {i for i, _ in ids_versions(run(entries, "filter=github"))} == {"a", "b"}


def test_filter_of_only_whitespace_matches_everything() -> None:
    entries = catalog(make_entry("a"), make_entry("b"))
    assert len(run(entries, "filter=%20%20%20")) == 2


def test_filter_is_applied_after_the_reduction() -> None:
    entries = catalog(
        make_entry("a", "1.0.0", name="Old Name"), make_entry("a", "2.0.0", name="New Name")
    )
    assert run(entries, "filter=old") == []
    assert len(run(entries, "filter=old&return_all_versions=true")) == 1


def test_results_sorted_by_lower_case_name() -> None:
    entries = catalog(make_entry("x", name="zoom"), make_entry("y", name="Agenda"))
    entries += catalog(make_entry("z", name="bravo"))
    assert [item["manifest"]["name"] for item in run(entries)] == ["Agenda", "bravo", "zoom"]


def test_same_id_sorted_newest_version_first() -> None:
    entries = catalog(make_entry("a", "1.0.0"), make_entry("b", "1.0.0"), make_entry("a", "2.0.0"))
    assert ids_versions(run(entries, "return_all_versions=true")) == [
        ("a", "2.0.0"),
        ("a", "1.0.0"),
        ("b", "1.0.0"),
    ]


def test_pagination_slices_pages() -> None:
    entries = catalog(*(make_entry(f"p{i:02d}", name=f"P{i:02d}") for i in range(25)))
    assert [i["manifest"]["id"] for i in run(entries, "per_page=10&page=2")] == [
        f"p{i}" for i in range(20, 25)
    ]
    assert run(entries, "per_page=10&page=3") == []
    assert len(run(entries)) == 25
    assert len(run(entries, "per_page=-1")) == 25


def test_default_page_size_is_100() -> None:
    entries = catalog(*(make_entry(f"p{i:03d}") for i in range(130)))
    assert len(run(entries)) == 100


def test_computed_labels_are_appended_after_stored_labels() -> None:
    stored = {"name": "Enterprise (E20)", "description": "old", "url": "u", "color": ""}
    entries = catalog(
        make_entry(
            "a", labels=[stored], enterprise=True, author_type="community", release_stage="beta"
        )
    )
    (item,) = run(entries, "enterprise_plugins=true")
    assert [label["name"] for label in item["labels"]] == [
        "Enterprise (E20)",
        "Community",
        "Beta",
        "Professional/Enterprise",
    ]


def test_partner_and_experimental_labels() -> None:
    (item,) = run(catalog(make_entry("a", author_type="partner", release_stage="experimental")))
    assert item["labels"] == [dict(ALL_LABELS[0]), dict(ALL_LABELS[3])]


def test_labels_key_is_left_out_when_empty() -> None:
    (item,) = run(catalog(make_entry("a")))
    assert "labels" not in item


def test_keys_come_in_section_4_order() -> None:
    (item,) = run(catalog(make_entry("a", author_type="partner", extra_field=1)))
    assert list(item) == [*ENTRY_KEYS, "extra_field"]


def test_missing_keys_get_go_zero_values() -> None:
    (item,) = run(catalog({"manifest": {"id": "bare", "version": "1.0.0"}}))
    assert item == {
        "homepage_url": "",
        "icon_data": "",
        "download_url": "",
        "release_notes_url": "",
        "hosting": "",
        "author_type": "",
        "release_stage": "",
        "enterprise": False,
        "signature": "",
        "repo_name": "",
        "manifest": {"id": "bare", "version": "1.0.0"},
        "platforms": {"linux-amd64": {}, "darwin-amd64": {}, "windows-amd64": {}},
        "updated_at": "0001-01-01T00:00:00Z",
    }


def test_json_body_escapes_html_characters_and_ends_with_newline() -> None:
    entries = catalog(make_entry("a", name="<b>&</b> é", description="x\u2028y"))
    body = query_plugins_json(entries, parse_query(QueryDict("").getlist))
    assert body.endswith(b"]\n")
    assert b"\\u003cb\\u003e\\u0026\\u003c/b\\u003e \xc3\xa9" in body
    assert b"x\\u2028y" in body
    assert json.loads(body)[0]["manifest"]["name"] == "<b>&</b> é"


def test_empty_result_is_an_empty_array() -> None:
    body = query_plugins_json([], parse_query(QueryDict("").getlist))
    assert body == b"[]\n"


def test_go_stable_sort_agrees_with_a_stable_sort_on_consistent_input() -> None:
    rng = random.Random(7)
    for size in (0, 1, 19, 20, 21, 45, 130, 300):
        items = [(rng.randint(0, 12), index) for index in range(size)]
        expected = sorted(items, key=lambda pair: pair[0])
        assert stable_sort(list(items), lambda a, b: a[0] < b[0]) == expected


def test_fast_sort_gives_go_order_whenever_the_comparison_is_consistent() -> None:
    from marketplace.compat.query import _less, _order_is_consistent, sort_entries

    rng = random.Random(11)
    checked = 0
    for _ in range(400):
        entries = []
        fixed = {p: rng.choice([p.upper(), f"n{p}"]) for p in "abcdefg"}
        mixed = rng.random() < 0.5  # names that change across versions, shared names
        for _ in range(rng.randint(0, 60)):
            plugin = rng.choice("abcdefg")
            name = rng.choice([plugin.upper(), "Shared", "shared"]) if mixed else fixed[plugin]
            version = f"{rng.randint(0, 3)}.{rng.randint(0, 3)}.0"
            entries.append(make_entry(plugin, version, name=name))
        items = catalog(*entries)
        expected = stable_sort(list(items), _less)
        got = list(items)
        sort_entries(got)
        if _order_is_consistent(items):
            checked += 1
        assert got == expected  # identical objects in identical order, both paths
    assert 100 < checked < 400


def test_name_changes_across_versions_use_go_order() -> None:
    entries = catalog(
        make_entry("calls", "0.1.0", name="Calls (Beta)"),
        make_entry("other", "1.0.0", name="Calls (Alpha)"),
        make_entry("calls", "1.0.0", name="Calls"),
    )
    served = run(entries, "return_all_versions=true")
    expected = stable_sort(
        list(entries),
        lambda a, b: (
            a.version > b.version if a.plugin_id == b.plugin_id else a.name_lower < b.name_lower
        ),
    )
    assert ids_versions(served) == [(e.plugin_id, e.data["manifest"]["version"]) for e in expected]
