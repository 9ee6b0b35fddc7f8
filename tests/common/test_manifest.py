"""parse_manifest and validate_manifest: Mattermost's FindManifest and Manifest.IsValid rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from common.bundle import BundleLimits, parse_manifest, validate_manifest
from common.bundle.validation import clean_bundle_path, is_valid_http_url, webapp_bundle_path
from common.errors import BundleRejected, InvalidInput

BASE: dict[str, Any] = {"id": "com.example.demo", "name": "Demo", "version": "1.0.0"}


def _invalid(manifest: dict[str, Any], *, strict: bool = True) -> str:
    with pytest.raises(BundleRejected) as caught:
        validate_manifest(manifest, strict=strict)
    assert caught.value.check == "manifest"
    assert isinstance(caught.value, InvalidInput)
    return caught.value.reason


# --- parsing -------------------------------------------------------------------------------


def test_json_manifest_is_parsed_and_id_lower_cased() -> None:
    manifest = parse_manifest(
        b'{"id": "Com.Example.X", "name": "X", "extra": {"a": 1}}', "plugin.json"
    )
    assert manifest == {"id": "com.example.x", "name": "X", "extra": {"a": 1}}


def test_yaml_manifest_is_parsed_like_json() -> None:
    text = (
        b"id: Com.Example.X\nname: X\n"
        b"settings_schema:\n  settings:\n    - key: A\n      type: bool\n"
    )
    manifest = parse_manifest(text, "plugin.yml")
    assert manifest["id"] == "com.example.x"
    assert manifest["settings_schema"]["settings"] == [{"key": "A", "type": "bool"}]
    assert parse_manifest(text, "plugin.yaml") == manifest


def test_yaml_scalars_in_string_fields_keep_their_text_like_go_yaml() -> None:
    manifest = parse_manifest(
        b"id: '123'\nname: 42\nversion: 1.10\nmin_server_version: 5.20\n", "plugin.yml"
    )
    assert manifest["name"] == "42"
    assert manifest["version"] == "1.10"  # not the float 1.1
    assert manifest["min_server_version"] == "5.20"


def test_yaml_dates_are_kept_as_written_so_the_manifest_stays_json() -> None:
    manifest = parse_manifest(b"id: abc\nprops:\n  released: 2024-01-02\n", "plugin.yml")
    assert manifest["props"] == {"released": "2024-01-02"}
    json.dumps(manifest)


@pytest.mark.parametrize(
    "text",
    [
        b"a: &x 1\nb: *x\nid: abc\n",
        b"base: &b {id: abc}\nother:\n  <<: *b\n",
        b"id: abc\nlist: &l [1, 2]\n",
    ],
)
def test_yaml_anchors_and_aliases_are_refused(text: bytes) -> None:
    with pytest.raises(BundleRejected) as caught:
        parse_manifest(text, "plugin.yaml")
    assert caught.value.check == "yaml_alias"


def test_yaml_python_tags_are_refused() -> None:
    with pytest.raises(BundleRejected) as caught:
        parse_manifest(b"id: !!python/object/apply:os.system ['true']\n", "plugin.yml")
    assert caught.value.check == "manifest"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"{not json", "plugin.json"),
        (b"[1, 2]", "plugin.json"),
        (b'"a string"', "plugin.json"),
        (b"\xef\xbb\xbf{}", "plugin.json"),  # a BOM: Go's decoder refuses it too
        (b'{"id": NaN}', "plugin.json"),
        (b'{"id": "\xff"}', "plugin.json"),
        (b'{"id": 5}', "plugin.json"),  # Go: cannot unmarshal number into a string field
        (b'{"id": "abc", "server": []}', "plugin.json"),
        (b'{"id": "abc", "server": {"executables": {"linux-amd64": 1}}}', "plugin.json"),
        (b'{"id": "abc", "settings_schema": {"settings": {}}}', "plugin.json"),
        (
            b'{"id": "abc", "settings_schema": {"settings": [{"options": [{"value": 1}]}]}}',
            "plugin.json",
        ),
        (b'{"id": "abc", "settings_schema": {"sections": [{"custom": "yes"}]}}', "plugin.json"),
        (b"id: [unclosed", "plugin.yml"),
        (b"- a\n- b\n", "plugin.yml"),
        (b"id: abc\n---\nid: def\n", "plugin.yml"),
        (b"id: abc\nprops: !!set {a, b}\n", "plugin.yml"),
        (b"[" * 5000 + b"]" * 5000, "plugin.json"),
    ],
)
def test_unparseable_manifests_are_refused_with_check_manifest(data: bytes, name: str) -> None:
    with pytest.raises(BundleRejected) as caught:
        parse_manifest(data, name)
    assert caught.value.check == "manifest"
    assert caught.value.reason


def test_deeply_nested_yaml_is_refused() -> None:
    with pytest.raises(BundleRejected) as caught:
        parse_manifest(b"id: abc\nprops: " + b"[" * 3000 + b"]" * 3000, "plugin.yml")
    assert caught.value.check == "manifest"


def test_manifest_over_the_size_bound_is_refused_before_parsing() -> None:
    with pytest.raises(BundleRejected) as caught:
        parse_manifest(
            b"{}" + b" " * 2000, "plugin.json", limits=BundleLimits(max_manifest_size=1000)
        )
    assert caught.value.check == "manifest_size"


def test_null_fields_are_accepted_like_go_zero_values() -> None:
    manifest = parse_manifest(
        b'{"id": "abc", "name": "A", "server": null, "version": null}', "plugin.json"
    )
    assert validate_manifest(manifest)["server"] is None


def test_empty_yaml_is_an_empty_manifest_with_an_invalid_id() -> None:
    assert parse_manifest(b"", "plugin.yml") == {}
    _invalid({})


# --- validation ----------------------------------------------------------------------------


def test_valid_manifest_passes_and_is_returned_lower_cased() -> None:
    assert validate_manifest({**BASE, "id": "Com.Example.Demo"})["id"] == "com.example.demo"


@pytest.mark.parametrize("plugin_id", ["abc", "a" * 190, "com.example-plugin_1", "A.B-C_D"])
def test_valid_ids(plugin_id: str) -> None:
    validate_manifest({**BASE, "id": plugin_id})


@pytest.mark.parametrize(
    "plugin_id", ["ab", "a" * 191, "com/example", "a b", "café", "", None, "abc\n"]
)
def test_invalid_ids_fail_even_when_not_strict(plugin_id: str | None) -> None:
    assert "invalid plugin id" in _invalid({**BASE, "id": plugin_id}, strict=False)


def test_non_strict_checks_only_the_id() -> None:
    manifest = {
        "id": "abc",
        "version": "v1",
        "homepage_url": "ftp://x",
        "settings_schema": {"settings": [{"type": "nope"}]},
    }
    assert validate_manifest(manifest, strict=False)["id"] == "abc"


@pytest.mark.parametrize("name", ["", "   ", None])
def test_name_is_needed(name: str | None) -> None:
    assert "name" in _invalid({**BASE, "name": name})


@pytest.mark.parametrize("field", ["homepage_url", "support_url", "release_notes_url"])
@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "example.com",
        "http://",
        "https:///path",
        "HTTP://x.com",
        "http://exa mple.com",
        "http://x.com:port/",
    ],
)
def test_urls_must_be_http_with_a_host(field: str, url: str) -> None:
    assert field in _invalid({**BASE, field: url})


@pytest.mark.parametrize(
    "url", ["http://example.com", "https://example.com/a?b=c#d", "https://user@host:8080/x"]
)
def test_valid_urls(url: str) -> None:
    assert is_valid_http_url(url)
    validate_manifest({**BASE, "homepage_url": url})


@pytest.mark.parametrize("field", ["version", "min_server_version"])
@pytest.mark.parametrize(
    "version", ["v1.0.0", "1.0", "1", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0 ", "latest"]
)
def test_versions_must_be_strict_semver(field: str, version: str) -> None:
    assert f"failed to parse {field}" in _invalid({**BASE, field: version})


@pytest.mark.parametrize("version", ["", None])
def test_version_may_be_absent(version: str | None) -> None:
    validate_manifest({**BASE, "version": version, "min_server_version": version})


def _setting(**fields: Any) -> dict[str, Any]:
    return {**BASE, "settings_schema": {"settings": [{"key": "k", **fields}]}}


@pytest.mark.parametrize(
    "kind",
    ["bool", "dropdown", "generated", "radio", "text", "longtext", "number", "username", "custom"],
)
def test_every_mattermost_setting_type_is_accepted(kind: str) -> None:
    validate_manifest(_setting(type=kind))


@pytest.mark.parametrize("kind", ["", "Bool", "checkbox", None])
def test_unknown_setting_type_is_refused(kind: str | None) -> None:
    assert "invalid setting type" in _invalid(_setting(type=kind))


@pytest.mark.parametrize("kind", ["bool", "text", "radio", "number"])
def test_regenerate_help_text_only_for_generated(kind: str) -> None:
    assert "regenerate_help_text" in _invalid(_setting(type=kind, regenerate_help_text="again"))
    validate_manifest(_setting(type="generated", regenerate_help_text="again"))


@pytest.mark.parametrize("kind", ["bool", "dropdown", "radio"])
def test_placeholder_not_for_bool_dropdown_radio(kind: str) -> None:
    assert "placeholder" in _invalid(_setting(type=kind, placeholder="p"))


@pytest.mark.parametrize("kind", ["generated", "text", "longtext", "number", "username", "custom"])
def test_placeholder_allowed_for_text_like_types(kind: str) -> None:
    validate_manifest(_setting(type=kind, placeholder="p"))


@pytest.mark.parametrize("kind", ["bool", "text", "custom"])
def test_options_only_for_radio_and_dropdown(kind: str) -> None:
    assert "options" in _invalid(_setting(type=kind, options=[{"display_name": "A", "value": "a"}]))
    assert "options" in _invalid(_setting(type=kind, options=[]))  # Go: a non-nil empty slice


@pytest.mark.parametrize(
    "option",
    [
        {"display_name": "", "value": "a"},
        {"display_name": "A", "value": ""},
        {"display_name": "A"},
        {},
    ],
)
def test_options_need_display_name_and_value(option: dict[str, str]) -> None:
    assert "options[0]" in _invalid(_setting(type="radio", options=[option]))


def test_radio_with_options_and_null_options_pass() -> None:
    validate_manifest(_setting(type="dropdown", options=[{"display_name": "A", "value": "a"}]))
    validate_manifest(_setting(type="bool", options=None))


def test_sections_need_a_key_and_valid_settings() -> None:
    ok = {"key": "s", "title": "S", "settings": [{"key": "a", "type": "text"}], "custom": True}
    validate_manifest({**BASE, "settings_schema": {"sections": [ok]}})
    assert "sections[0]" in _invalid({**BASE, "settings_schema": {"sections": [{"key": ""}]}})
    bad = {"key": "s", "settings": [{"key": "a", "type": "weird"}]}
    assert "invalid setting type: weird" in _invalid(
        {**BASE, "settings_schema": {"sections": [bad]}}
    )


@pytest.mark.parametrize("path", ["../plugin", "server/../../plugin", ".."])
def test_server_executables_may_not_escape(path: str) -> None:
    assert "outside the bundle" in _invalid(
        {**BASE, "server": {"executables": {"linux-amd64": path}}}
    )
    assert "outside the bundle" in _invalid({**BASE, "server": {"executable": path}})


@pytest.mark.parametrize("path", ["", ".", "./", "../main.js", ".hidden/main.js", "..main.js"])
def test_webapp_bundle_path_must_be_clean_and_not_start_with_a_dot(path: str) -> None:
    assert "webapp.bundle_path" in _invalid({**BASE, "webapp": {"bundle_path": path}})


@pytest.mark.parametrize(
    ("path", "clean"),
    [
        ("webapp/dist/main.js", "webapp/dist/main.js"),
        ("./dist/main.js", "dist/main.js"),
        ("/dist/main.js", "dist/main.js"),
        ("a//b/../c.js", "a/c.js"),
    ],
)
def test_webapp_bundle_path_cleaning(path: str, clean: str) -> None:
    assert webapp_bundle_path(path) == clean
    validate_manifest({**BASE, "webapp": {"bundle_path": path}})


@pytest.mark.parametrize(
    ("path", "clean"),
    [
        ("server/plugin", "server/plugin"),
        ("/abs/plugin", "abs/plugin"),
        ("./a/../b", "b"),
        ("", "."),
        ("a/../..", None),
    ],
)
def test_clean_bundle_path_follows_go_filepath_clean(path: str, clean: str | None) -> None:
    assert clean_bundle_path(path) == clean


def test_icon_path_may_not_escape() -> None:
    assert "icon_path" in _invalid({**BASE, "icon_path": "../icon.svg"})


def test_validate_manifest_refuses_wrong_types_instead_of_crashing() -> None:
    assert "settings_schema" in _invalid({**BASE, "settings_schema": ["x"]})
    assert "manifest" in _invalid(["not", "a", "dict"])  # type: ignore[arg-type]


def test_unknown_keys_and_deprecated_backend_are_kept() -> None:
    manifest = {
        **BASE,
        "backend": {"executable": "x"},
        "props": {"support_packet": "yes"},
        "new_field": 1,
    }
    assert validate_manifest(manifest) == manifest


@pytest.mark.parametrize(
    "relative", ["marketplace/plugins.json", "marketplace/master/plugins.json"]
)
def test_every_manifest_in_the_real_marketplace_catalog_is_valid(relative: str) -> None:
    import yaml

    from tests.conftest import require_shared

    entries = json.loads(require_shared(f"data/{relative}").read_text())
    assert entries
    for entry in entries:
        manifest = entry["manifest"]
        expected = {**manifest, "id": manifest["id"].lower()}
        assert validate_manifest(manifest) == expected
        assert parse_manifest(json.dumps(manifest).encode(), "plugin.json") == expected
        assert parse_manifest(yaml.safe_dump(manifest).encode(), "plugin.yml") == expected
