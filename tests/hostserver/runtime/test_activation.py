"""Executable selection and webapp unpacking, on real folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostserver.runtime.activation import (
    ActivationError,
    check_server_version,
    plugin_command,
    select_executable,
    unpack_webapp,
)


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    root = tmp_path / "plugins" / "com.example.a"
    (root / "server").mkdir(parents=True)
    (root / "server" / "plugin").write_text("#!/bin/sh\n")
    (root / "server" / "plugin").chmod(0o755)
    return root


@pytest.mark.parametrize(
    "server",
    [
        {"executables": {"linux-amd64": "server/plugin"}},
        {"executables": {"linux-amd64": ""}, "executable": "server/plugin"},
        {"executable": "./server/../server/plugin"},
        # An absolute path is joined under the plugin folder, as Mattermost does.
        {"executable": "/server/plugin"},
    ],
)
def test_executable_is_selected_inside_the_plugin(plugin_dir: Path, server: dict) -> None:
    assert select_executable({"server": server}, plugin_dir) == plugin_dir / "server" / "plugin"


def test_deprecated_backend_executable_is_honoured(plugin_dir: Path) -> None:
    manifest = {"backend": {"executable": "server/plugin"}}

    assert select_executable(manifest, plugin_dir) == plugin_dir / "server" / "plugin"


@pytest.mark.parametrize(
    ("server", "reason"),
    [
        ({"executable": "../b/server/plugin"}, "invalid backend executable path"),
        ({"executable": "server"}, "not found in the plugin bundle"),
        ({"executable": "server/missing"}, "not found in the plugin bundle"),
        ({}, "backend executable not found for environment: linux-amd64"),
    ],
)
def test_bad_executables_are_refused(plugin_dir: Path, server: dict, reason: str) -> None:
    with pytest.raises(ActivationError, match=reason):
        select_executable({"server": server}, plugin_dir)


def test_symlink_out_of_the_plugin_is_refused(plugin_dir: Path, tmp_path: Path) -> None:
    (plugin_dir / "server" / "link").symlink_to("/bin/sh")

    with pytest.raises(ActivationError, match="leaves the plugin directory"):
        select_executable({"server": {"executable": "server/link"}}, plugin_dir)


def test_go_plugin_command_has_no_arguments_and_inherits_cwd(plugin_dir: Path) -> None:
    command = plugin_command({"server": {"executable": "server/plugin"}}, plugin_dir)

    assert command.argv == (str(plugin_dir / "server" / "plugin"),)
    assert command.cwd is None


@pytest.mark.parametrize(
    ("required", "server", "ok"),
    [("", "1.0.0", True), ("10.5.0", "10.5.0", True), ("10.5.1", "10.5.0", False)],
)
def test_min_server_version(required: str, server: str, ok: bool) -> None:
    manifest = {"id": "com.example.a", "min_server_version": required}
    if ok:
        check_server_version(manifest, server)
    else:
        with pytest.raises(ActivationError, match=f"requires Mattermost {required}"):
            check_server_version(manifest, server)


def test_webapp_unpack_replaces_the_previous_copy(plugin_dir: Path, tmp_path: Path) -> None:
    (plugin_dir / "webapp").mkdir()
    (plugin_dir / "webapp" / "main.js").write_text("v1")
    manifest = {"id": "com.example.a", "webapp": {"bundle_path": "webapp/main.js"}}
    client = tmp_path / "client"
    first = unpack_webapp(manifest, plugin_dir, client)
    (plugin_dir / "webapp" / "main.js").write_text("v2")

    second = unpack_webapp(manifest, plugin_dir, client)

    assert first != second
    assert [p.name for p in (client / "com.example.a").iterdir()] == [
        f"com.example.a_{second}_bundle.js"
    ]
    assert [p.name for p in client.iterdir()] == ["com.example.a"]  # no staging left behind
