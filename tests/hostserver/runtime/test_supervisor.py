"""The supervisor against real plugin processes started from real bundles."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from common.bundle import webapp_bundle_hash
from hostserver.models import HostPlugin, PluginState
from hostserver.runtime import Supervisor, SupervisorBusy
from hostserver.runtime.process import group_members, process_running

from . import plugins
from .conftest import (
    EXE,
    FAST,
    Driver,
    exe,
    install,
    server_manifest,
    set_enabled,
    wait_for,
    wait_gone,
)

pytestmark = pytest.mark.django_db

RUNNING = lambda p: p.state == PluginState.RUNNING  # noqa: E731
FAILED_TO_START = lambda p: p.state == PluginState.FAILED_TO_START  # noqa: E731


def test_plugin_that_handshakes_runs_and_stops_when_disabled(driver: Driver, host) -> None:
    plugin = install(host, server_manifest("com.example.good"), exe(plugins.GOOD))

    plugin = driver.settle(plugin, RUNNING)

    assert plugin.pid and process_running(plugin.pid)
    assert plugin.error == ""
    assert plugin.running_generation == plugin.generation
    assert plugin.started_at and plugin.heartbeat_at
    # Rebuilt from the file store: the plugin directory did not exist before.
    assert (host.plugin_dir / "com.example.good" / EXE).is_file()
    log = host.root_dir / "logs" / "com.example.good.log"
    assert wait_for(lambda: "stderr: plugin started" in log.read_text())
    pid = plugin.pid

    set_enabled(host, "com.example.good", False)
    plugin = driver.settle(plugin, lambda p: p.state == PluginState.NOT_RUNNING)

    assert plugin.pid is None and plugin.running_generation == 0
    assert wait_gone(pid)
    assert not group_members(pid)


def test_tcp_grpc_handshake_is_accepted(driver: Driver, host) -> None:
    plugin = install(host, server_manifest("com.example.tcp"), exe(plugins.GOOD_TCP))

    plugin = driver.settle(plugin, RUNNING)

    assert driver.supervisor.active[(host.pk, "com.example.tcp")].process.probe()


def test_disabled_plugin_is_not_started(driver: Driver, host) -> None:
    plugin = install(host, server_manifest("com.example.off"), exe(plugins.GOOD), enabled=False)

    for _ in range(5):
        driver.supervisor.reconcile_once()
    plugin.refresh_from_db()

    assert plugin.state == PluginState.NOT_RUNNING and plugin.pid is None
    assert driver.supervisor.active == {}


def test_plugins_switched_off_host_wide_are_stopped(driver: Driver, host) -> None:
    plugin = driver.settle(
        install(host, server_manifest("com.example.a"), exe(plugins.GOOD)), RUNNING
    )
    pid = plugin.pid
    host.config["PluginSettings"]["Enable"] = False
    host.save(update_fields=["config"])

    plugin = driver.settle(plugin, lambda p: p.state == PluginState.NOT_RUNNING)

    assert wait_gone(pid)


@pytest.mark.parametrize(
    ("script", "mode", "expected"),
    [
        (plugins.NEVER_ANSWERS, 0o755, "timeout while waiting for plugin to start"),
        (plugins.GARBAGE, 0o755, "bad handshake: unrecognized remote plugin message: 'hello, I am"),
        (plugins.EXITS_AT_ONCE, 0o755, "plugin exited before we could connect (exit code 2)"),
        (plugins.BAD_CORE, 0o755, "incompatible core API version with plugin"),
        (plugins.BAD_PROTOCOL, 0o755, "unsupported plugin protocol 'carrier-pigeon'"),
        ("\x7fELF-not-really" * 50, 0o755, "exec format error"),
        (plugins.GOOD, 0o644, "permission denied"),
        (plugins.REMOTE_ADDRESS, 0o755, "'10.1.2.3:6379' is not on the loopback interface"),
        (plugins.CLOSES_OUTPUT, 0o755, "plugin closed its output without a handshake"),
        (plugins.MISSING_INTERPRETER, 0o755, "interpreter of its #! line not found"),
    ],
    ids=[
        "never-answers",
        "garbage",
        "exits",
        "core-version",
        "protocol",
        "exec-format",
        "mode",
        "remote-address",
        "closes-output",
        "no-interpreter",
    ],
)
def test_plugin_that_does_not_handshake_fails_to_start(
    driver: Driver, host, script: str, mode: int, expected: str
) -> None:
    plugin = install(host, server_manifest("com.example.bad"), {EXE: (script, mode)})

    plugin = driver.settle(plugin, FAILED_TO_START)

    assert expected in plugin.error
    assert plugin.pid is None and plugin.running_generation == 0
    assert driver.supervisor.active == {}
    # Not retried while nothing changes.
    for _ in range(3):
        driver.supervisor.reconcile_once()
    plugin.refresh_from_db()
    assert plugin.state == PluginState.FAILED_TO_START


def test_exit_before_handshake_reports_what_the_plugin_said(driver: Driver, host) -> None:
    plugin = install(host, server_manifest("com.example.exit"), exe(plugins.EXITS_AT_ONCE))

    plugin = driver.settle(plugin, FAILED_TO_START)

    assert "This binary is a plugin." in plugin.error


def test_failed_plugin_is_retried_after_disable_and_enable(driver: Driver, host) -> None:
    plugin = install(host, server_manifest("com.example.retry"), exe(plugins.EXITS_AT_ONCE))
    driver.settle(plugin, FAILED_TO_START)
    set_enabled(host, "com.example.retry", False)
    driver.supervisor.reconcile_once()
    install(host, server_manifest("com.example.retry"), exe(plugins.GOOD), enabled=False)
    set_enabled(host, "com.example.retry", True)

    plugin = driver.settle(plugin, RUNNING)

    assert plugin.error == ""


def test_executable_outside_the_plugin_dir_is_refused(driver: Driver, host) -> None:
    plugin = install(host, server_manifest("com.example.escape"), exe(plugins.GOOD))
    # The bundle checks refuse such a manifest at install; the supervisor does not rely on it.
    manifest = server_manifest("com.example.escape")
    manifest["server"]["executables"]["linux-amd64"] = "../../../../bin/sh"
    HostPlugin.objects.filter(pk=plugin.pk).update(manifest=manifest)

    plugin = driver.settle(plugin, FAILED_TO_START)

    assert "invalid backend executable path" in plugin.error


def test_missing_executable_for_platform_fails_to_start(driver: Driver, host) -> None:
    manifest = server_manifest("com.example.mac")
    manifest["server"] = {"executables": {"darwin-arm64": "server/plugin"}, "executable": ""}
    plugin = install(host, manifest, {"server/plugin": (plugins.GOOD, 0o755)})

    plugin = driver.settle(plugin, FAILED_TO_START)

    assert plugin.error == "backend executable not found for environment: linux-amd64"


def test_single_executable_is_used_when_no_platform_entry(driver: Driver, host) -> None:
    manifest = server_manifest("com.example.single")
    manifest["server"] = {"executable": "server/plugin"}
    plugin = install(host, manifest, {"server/plugin": (plugins.GOOD, 0o755)})

    driver.settle(plugin, RUNNING)


@pytest.mark.parametrize(
    ("server", "script_name"),
    [
        ({"executable": "server/plugin.py"}, "server/plugin.py"),
        ({"executable": "server/main", "runtime": "python"}, "server/main"),
    ],
    ids=["py-suffix", "runtime-python"],
)
def test_python_plugin_runs_with_an_interpreter_in_its_directory(
    driver: Driver, host, tmp_path: Path, server: dict, script_name: str
) -> None:
    cwd_file = tmp_path / "cwd"
    # No shebang, not executable: Mattermost runs Python plugins through an interpreter.
    script = plugins.GOOD.split("\n", 1)[1].replace(
        "while True:", f"open({str(cwd_file)!r}, 'w').write(os.getcwd())\nwhile True:", 1
    )
    manifest = {"id": "com.example.py", "name": "Py", "version": "1.0.0", "server": server}
    plugin = install(host, manifest, {script_name: (script, 0o644)})

    plugin = driver.settle(plugin, RUNNING)

    assert wait_for(cwd_file.exists)
    assert cwd_file.read_text() == str(host.plugin_dir / "com.example.py")


def test_min_server_version_too_high_fails_to_start(driver: Driver, host) -> None:
    manifest = server_manifest("com.example.future", min_server_version="99.0.0")
    plugin = install(host, manifest, exe(plugins.GOOD))

    plugin = driver.settle(plugin, FAILED_TO_START)

    assert plugin.error == "plugin requires Mattermost 99.0.0: com.example.future"
    assert not (host.root_dir / "logs" / "com.example.future.log").exists()


def test_min_server_version_met_runs(driver: Driver, host) -> None:
    manifest = server_manifest("com.example.past", min_server_version="10.5.0")

    driver.settle(install(host, manifest, exe(plugins.GOOD)), RUNNING)


def test_plugin_without_server_or_webapp_fails_to_start(driver: Driver, host) -> None:
    plugin = install(host, {"id": "com.example.empty", "name": "Empty", "version": "1.0.0"})

    plugin = driver.settle(plugin, FAILED_TO_START)

    assert plugin.error == "must at least have a web app or server component"


def test_webapp_only_plugin_is_unpacked_with_hashed_bundle_name(driver: Driver, host) -> None:
    manifest = {
        "id": "com.example.web",
        "name": "Web",
        "version": "1.0.0",
        "webapp": {"bundle_path": "webapp/dist/main.js"},
    }
    files = {"webapp/dist/main.js": "console.log('hi');", "webapp/dist/asset.css": "a{}"}
    plugin = install(host, manifest, files)

    plugin = driver.settle(plugin, RUNNING)

    source = host.plugin_dir / "com.example.web" / "webapp" / "dist" / "main.js"
    expected = webapp_bundle_hash(source)
    assert plugin.webapp_hash == expected and len(expected) == 16
    unpacked = host.client_dir / "com.example.web"
    assert sorted(p.name for p in unpacked.iterdir()) == [
        "asset.css",
        f"com.example.web_{expected}_bundle.js",
    ]
    assert plugin.pid is None


def test_webapp_bundle_path_escaping_fails_to_start(driver: Driver, host) -> None:
    manifest = {"id": "com.example.webx", "name": "W", "webapp": {"bundle_path": "webapp/main.js"}}
    plugin = install(host, manifest, {"webapp/main.js": "1"})
    HostPlugin.objects.filter(pk=plugin.pk).update(
        manifest={**manifest, "webapp": {"bundle_path": "../x.js"}}
    )

    plugin = driver.settle(plugin, FAILED_TO_START)

    assert "unable to unpack webapp: invalid bundle path" in plugin.error
    assert not (host.client_dir / "com.example.webx").exists()


def test_crashing_plugin_is_restarted_then_fails_to_stay_running(driver: Driver, host) -> None:
    plugin = install(host, server_manifest("com.example.crash"), exe(plugins.crash_after(0.3, 3)))
    first = driver.settle(plugin, RUNNING).pid
    seen_pids = {first}

    def record(p: HostPlugin) -> bool:
        if p.pid:
            seen_pids.add(p.pid)
        return p.state == PluginState.FAILED_TO_STAY_RUNNING

    plugin = driver.settle(plugin, record, timeout=20)

    assert "plugin failed to stay running: 3 failures within 1h" in plugin.error
    assert "exited with code 3" in plugin.error
    assert "panic: something broke" in plugin.error
    assert len(seen_pids) >= 2  # it was restarted in between
    assert plugin.restarts == [] and plugin.pid is None
    assert driver.supervisor.active == {}
    assert all(wait_gone(pid) for pid in seen_pids)


def test_plugin_that_stops_answering_fails_health_checks(driver: Driver, host) -> None:
    driver.supervisor.config = FAST.__class__(
        **{**FAST.__dict__, "health_interval": 0.1, "ping_fail_limit": 2}
    )
    plugin = install(host, server_manifest("com.example.deaf"), exe(plugins.DEAF))

    plugin = driver.settle(plugin, lambda p: p.state == PluginState.FAILED_TO_STAY_RUNNING, 30)

    assert "health check failed: no answer" in plugin.error


def test_health_checks_can_be_switched_off(driver: Driver, host) -> None:
    driver.supervisor.config = FAST.__class__(
        **{**FAST.__dict__, "health_interval": 0.05, "ping_fail_limit": 1}
    )
    host.config["PluginSettings"]["EnableHealthCheck"] = False
    host.save(update_fields=["config"])
    plugin = install(host, server_manifest("com.example.nocheck"), exe(plugins.DEAF))
    plugin = driver.settle(plugin, RUNNING)
    pid = plugin.pid

    for _ in range(20):
        driver.supervisor.reconcile_once()
        time.sleep(0.05)
    plugin.refresh_from_db()

    assert plugin.state == PluginState.RUNNING and plugin.pid == pid


def test_health_check_records_heartbeat(driver: Driver, host) -> None:
    driver.supervisor.config = FAST.__class__(**{**FAST.__dict__, "health_interval": 0.1})
    plugin = driver.settle(
        install(host, server_manifest("com.example.hb"), exe(plugins.GOOD)), RUNNING
    )
    first = plugin.heartbeat_at

    plugin = driver.settle(plugin, lambda p: p.heartbeat_at > first)

    assert plugin.state == PluginState.RUNNING


def test_flooding_plugin_is_drained_into_a_bounded_log(driver: Driver, host) -> None:
    plugin = install(host, server_manifest("com.example.flood"), exe(plugins.FLOOD))
    plugin = driver.settle(plugin, RUNNING)
    act = driver.supervisor.active[(host.pk, "com.example.flood")]
    log = host.root_dir / "logs" / "com.example.flood.log"

    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not log.with_name(log.name + ".1").exists():
        time.sleep(0.1)

    assert log.with_name(log.name + ".1").exists(), "the log was never rotated"
    assert act.process.probe()  # never blocked on a full pipe
    total = sum(p.stat().st_size for p in log.parent.iterdir())
    assert total <= 2 * FAST.log_max_bytes + 16 * 1024
    pid = plugin.pid
    set_enabled(host, "com.example.flood", False)
    driver.settle(plugin, lambda p: p.state == PluginState.NOT_RUNNING)
    assert wait_gone(pid)


def test_plugin_ignoring_sigterm_is_killed(driver: Driver, host, tmp_path: Path) -> None:
    pidfile = str(tmp_path / "pid")
    plugin = install(
        host, server_manifest("com.example.stubborn"), exe(plugins.ignores_term(pidfile))
    )
    plugin = driver.settle(plugin, RUNNING)
    pid = plugin.pid

    set_enabled(host, "com.example.stubborn", False)
    started = time.monotonic()
    driver.settle(plugin, lambda p: p.state == PluginState.NOT_RUNNING)

    assert time.monotonic() - started >= FAST.stop_timeout  # it had its grace period
    assert wait_gone(pid)


def test_forked_child_is_stopped_with_the_plugin(driver: Driver, host, tmp_path: Path) -> None:
    pidfile = tmp_path / "child"
    plugin = install(
        host, server_manifest("com.example.fork"), exe(plugins.forks_child(str(pidfile)))
    )
    plugin = driver.settle(plugin, RUNNING)
    child = int(pidfile.read_text())
    assert process_running(child)

    set_enabled(host, "com.example.fork", False)
    driver.settle(plugin, lambda p: p.state == PluginState.NOT_RUNNING)

    assert wait_gone(child), f"forked child {child} survived"


def test_child_that_left_the_group_is_stopped_too(driver: Driver, host, tmp_path: Path) -> None:
    pidfile = tmp_path / "escaped"
    plugin = install(
        host, server_manifest("com.example.setsid"), exe(plugins.escapes_group(str(pidfile)))
    )
    plugin = driver.settle(plugin, RUNNING)
    child = int(pidfile.read_text())
    assert process_running(child) and os.getpgid(child) != plugin.pid

    set_enabled(host, "com.example.setsid", False)
    driver.settle(plugin, lambda p: p.state == PluginState.NOT_RUNNING)

    assert wait_gone(child), f"child {child} that called setsid() survived"


def test_reinstall_restarts_the_plugin(driver: Driver, host) -> None:
    plugin = driver.settle(
        install(host, server_manifest("com.example.up"), exe(plugins.GOOD)), RUNNING
    )
    old_pid = plugin.pid
    manifest = server_manifest("com.example.up", version="2.0.0")
    # The install service extracts the new bundle and bumps the generation.
    install(host, manifest, exe(plugins.GOOD_TCP))

    plugin = driver.settle(plugin, lambda p: p.state == PluginState.RUNNING and p.pid != old_pid)

    assert plugin.running_generation == 2
    assert wait_gone(old_pid)
    assert driver.supervisor.active[(host.pk, "com.example.up")].process.handshake.network == "tcp"


def test_removed_plugin_is_stopped_and_its_webapp_dropped(driver: Driver, host) -> None:
    manifest = server_manifest("com.example.gone", webapp={"bundle_path": "webapp/main.js"})
    files = {**exe(plugins.GOOD), "webapp/main.js": "x"}
    plugin = driver.settle(install(host, manifest, files), RUNNING)
    pid = plugin.pid
    assert (host.client_dir / "com.example.gone").is_dir()

    HostPlugin.objects.filter(pk=plugin.pk).delete()
    driver.supervisor.reconcile_once()

    assert wait_gone(pid)
    assert driver.supervisor.active == {}
    assert not (host.client_dir / "com.example.gone").exists()


def test_second_supervisor_on_the_same_root_is_refused(driver: Driver, host_root: Path) -> None:
    with pytest.raises(SupervisorBusy):
        Supervisor(FAST, root=host_root).acquire()


def test_restarted_supervisor_stops_orphans_of_a_dead_one(host, host_root: Path) -> None:
    first = Supervisor(FAST, root=host_root)
    first.acquire()
    plugin = install(host, server_manifest("com.example.orphan"), exe(plugins.GOOD))
    plugin = Driver(first).settle(plugin, RUNNING)
    orphan = plugin.pid
    # The first supervisor dies without stopping anything: only its lock goes away.
    first._lock_file.close()

    second = Supervisor(FAST, root=host_root)
    second.acquire()
    try:
        assert wait_gone(orphan)
        plugin = Driver(second).settle(
            plugin, lambda p: p.state == PluginState.RUNNING and p.pid != orphan
        )
    finally:
        second.shutdown()
    assert wait_gone(plugin.pid)


def test_shutdown_stops_every_plugin(host, host_root: Path, tmp_path: Path) -> None:
    supervisor = Supervisor(FAST, root=host_root)
    supervisor.acquire()
    scripts = [plugins.GOOD, plugins.ignores_term(str(tmp_path / "a")), plugins.FLOOD]
    rows = [
        install(host, server_manifest(f"com.example.p{i}"), exe(script))
        for i, script in enumerate(scripts)
    ]
    driver = Driver(supervisor)
    pids = [driver.settle(row, RUNNING).pid for row in rows]

    supervisor.shutdown()

    assert all(wait_gone(pid) for pid in pids)
    assert set(HostPlugin.objects.values_list("state", flat=True)) == {PluginState.NOT_RUNNING}
