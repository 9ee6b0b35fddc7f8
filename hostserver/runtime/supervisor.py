"""The plugin supervisor: one process that owns every plugin process of every host server.

``Supervisor.reconcile_once()`` compares desired state (``PluginSettings.Enable`` and
``PluginStates[id].Enable`` in the host's config, the row's ``generation``) with what runs, and
activates, restarts, health-checks or stops plugins, writing ``HostPlugin``'s runtime fields.
``run()`` calls it in a loop until asked to stop, then stops every plugin.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, connections
from django.utils import timezone

from hostserver.models import HostPlugin, HostServer, PluginState

from . import records
from .activation import (
    ActivationError,
    check_server_version,
    has_server,
    has_webapp,
    plugin_command,
    unpack_webapp,
)
from .config import RuntimeConfig
from .logs import PluginLog
from .process import (
    LaunchError,
    PluginProcess,
    find_orphans,
    group_members,
    kill_group,
    kill_marked,
)
from .sync import forget_plugin, sync_plugin_dir
from .wake import WakeSocket

logger = logging.getLogger(__name__)

Key = tuple[int, str]
_FAILED = (PluginState.FAILED_TO_START, PluginState.FAILED_TO_STAY_RUNNING)


class SupervisorBusy(RuntimeError):
    """Another supervisor already owns this HOSTSERVER_ROOT."""


@dataclass
class Active:
    """A plugin this supervisor activated: its process (None for webapp-only plugins)."""

    plugin_pk: int
    generation: int
    process: PluginProcess | None
    log: PluginLog | None
    next_check: float
    failed_probes: int = 0
    restarts: list[str] = field(default_factory=list)


def desired_enabled(host: HostServer, plugin_id: str) -> bool:
    plugin_settings = host.config.get("PluginSettings") or {}
    if plugin_settings.get("Enable", True) is False:
        return False
    state = (plugin_settings.get("PluginStates") or {}).get(plugin_id) or {}
    return state.get("Enable") is True


class Supervisor:
    def __init__(self, config: RuntimeConfig | None = None, *, root: Path | None = None) -> None:
        self.config = config or RuntimeConfig.from_settings()
        self.root = Path(root or settings.HOSTSERVER_ROOT)
        self.active: dict[Key, Active] = {}
        # Activations tried for (row pk, generation): a failed one is not retried until the
        # plugin is disabled and enabled again, reinstalled, or the supervisor restarts.
        self.attempted: dict[Key, tuple[int, int]] = {}
        self._lock_file: IO[str] | None = None
        self._wake: WakeSocket | None = None
        self._started = False

    # --- lifecycle ------------------------------------------------------------------------
    def acquire(self) -> None:
        """Take the root's lock (one supervisor per HOSTSERVER_ROOT), clean up, sync."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = (self.root / ".supervisor.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise SupervisorBusy(f"another supervisor is running for {self.root}") from exc
        self._lock_file = handle
        self._wake = WakeSocket(self.root)
        self._kill_orphans()
        self._startup_sync()
        self._started = True

    def _owner_prefix(self) -> str:
        return f"{self.root.resolve()}::"

    def _owner(self, host: HostServer, plugin_id: str) -> str:
        return f"{self._owner_prefix()}{host.name}/{plugin_id}"

    def _kill_orphans(self) -> None:
        # A previous supervisor that died without stopping its plugins left them running.
        for pgid in find_orphans(self._owner_prefix()):
            logger.warning("stopping orphaned plugin process group %s", pgid)
            kill_group(pgid, timeout=self.config.stop_timeout)
        kill_marked(self._owner_prefix(), prefix=True)

    def _startup_sync(self) -> None:
        for host, plugins in records.hosts_with_plugins():
            for plugin in plugins:
                try:
                    sync_plugin_dir(host, plugin, only_if_missing=False)
                except Exception as exc:
                    known = isinstance(exc, ActivationError)
                    message = str(exc) if known else f"unable to sync: {exc}"
                    logger.error("sync of %s/%s failed: %s", host.name, plugin.plugin_id, message)
                    if desired_enabled(host, plugin.plugin_id):
                        # Shown where an admin looks; a disabled plugin only gets the log line
                        # (enabling it retries the sync before activation).
                        self._fail(plugin, PluginState.FAILED_TO_START, message)
                        self.attempted[(host.pk, plugin.plugin_id)] = (
                            plugin.pk,
                            plugin.generation,
                        )

    def run(self, stop: threading.Event) -> None:
        """Reconcile every ``config.interval`` seconds until ``stop`` is set; then stop all."""
        if not self._started:
            self.acquire()
        try:
            while not stop.is_set():
                try:
                    self.reconcile_once()
                except DatabaseError:
                    # The database went away or stayed locked: keep the plugins, retry later.
                    logger.exception("reconcile pass failed")
                    close_old_connections()
                except Exception:
                    # A bug must not take every plugin down with the loop; the next pass retries.
                    logger.exception("reconcile pass failed")
                if not stop.is_set() and self._wake is not None:
                    self._wake.wait(self.config.interval)
                else:
                    stop.wait(self.config.interval)
        finally:
            self.shutdown()
            # The loop may run in a thread of its own: its connection is not closed by anyone else.
            connections.close_all()

    def shutdown(self) -> None:
        # Signal every plugin first and share one grace period, as Mattermost deactivates all
        # plugins in parallel: n stubborn plugins cost one stop_timeout, not n.
        groups = [a.process.pid for a in self.active.values() if a.process and a.process.pid]
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.stop_timeout
        while groups and time.monotonic() < deadline:
            groups = [pgid for pgid in groups if group_members(pgid)]
            time.sleep(0.05)
        for key in list(self.active):
            self._deactivate(key, state=PluginState.NOT_RUNNING, timeout=0.0)
        if self._wake is not None:
            self._wake.close()
            self._wake = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self._started = False

    # --- reconcile ------------------------------------------------------------------------
    def reconcile_once(self) -> None:
        if not connection.in_atomic_block:
            # Drop a connection that died or aged out, as a request cycle would (PostgreSQL).
            close_old_connections()
        seen: set[Key] = set()
        for host, plugins in records.hosts_with_plugins():
            for plugin in plugins:
                key = (host.pk, plugin.plugin_id)
                seen.add(key)
                try:
                    self._reconcile_plugin(host, plugin, key)
                except DatabaseError:
                    raise
                except Exception:
                    # One plugin's unexpected failure must not starve the others.
                    logger.exception("reconcile of %s/%s failed", host.name, plugin.plugin_id)
        for key in [k for k in self.active if k not in seen]:
            # Removed (row deleted): stop it and drop its webapp copy.
            self._deactivate(key, state=None)
        for key in [k for k in self.attempted if k not in seen]:
            del self.attempted[key]

    def _reconcile_plugin(self, host: HostServer, plugin: HostPlugin, key: Key) -> None:
        wanted = desired_enabled(host, plugin.plugin_id)
        act = self.active.get(key)
        if act is not None and (
            not wanted or act.plugin_pk != plugin.pk or act.generation != plugin.generation
        ):
            self._deactivate(key, state=PluginState.NOT_RUNNING if not wanted else None)
            act = None
        if not wanted:
            self.attempted.pop(key, None)
            if (
                plugin.pid is not None
                or plugin.running_generation
                or plugin.state
                in (
                    PluginState.RUNNING,
                    PluginState.STARTING,
                    PluginState.STOPPING,
                )
            ):
                # Mattermost keeps a failed state visible after disable; anything else is idle.
                state = plugin.state if plugin.state in _FAILED else PluginState.NOT_RUNNING
                records.plugin_runtime_update(
                    plugin_pk=plugin.pk, state=state, pid=None, running_generation=0
                )
            return
        if act is None:
            # Starting with nothing running here means a new request (enable after a failure,
            # see ``records.plugin_activation_requested``): try again even for this generation.
            requested = plugin.state == PluginState.STARTING
            if self.attempted.get(key) == (plugin.pk, plugin.generation) and not requested:
                return
            self.attempted[key] = (plugin.pk, plugin.generation)
            self._activate(host, plugin, key, restarts=list(plugin.restarts or []))
            return
        if plugin.state != PluginState.RUNNING:
            # Someone else wrote the state of a plugin that runs here: put the truth back.
            records.plugin_runtime_update(
                plugin_pk=plugin.pk,
                state=PluginState.RUNNING,
                error="",
                pid=act.process.pid if act.process else None,
                running_generation=act.generation,
            )
        self._health_check(host, plugin, key, act)

    # --- activation -----------------------------------------------------------------------
    def _activate(
        self, host: HostServer, plugin: HostPlugin, key: Key, *, restarts: list[str]
    ) -> None:
        records.plugin_runtime_update(plugin_pk=plugin.pk, state=PluginState.STARTING)
        began = time.monotonic()
        try:
            webapp_hash, process = self._launch(host, plugin)
        except Exception as exc:
            # Anything unexpected fails this attempt too: a plugin left Starting would be
            # retried on every pass.
            known = isinstance(exc, ActivationError | LaunchError)
            message = str(exc) if known else f"unable to activate: {exc}"
            if not known:
                logger.exception("activation of %s/%s failed", host.name, plugin.plugin_id)
            logger.warning("plugin %s/%s failed to start: %s", host.name, plugin.plugin_id, message)
            self._fail(plugin, PluginState.FAILED_TO_START, message, restarts=restarts)
            return
        now = timezone.now()
        self.active[key] = Active(
            plugin_pk=plugin.pk,
            generation=plugin.generation,
            process=process,
            log=process.log if process else None,
            next_check=time.monotonic() + self.config.health_interval,
            restarts=restarts,
        )
        records.plugin_runtime_update(
            plugin_pk=plugin.pk,
            state=PluginState.RUNNING,
            error="",
            pid=process.pid if process else None,
            started_at=now,
            heartbeat_at=now,
            running_generation=plugin.generation,
            webapp_hash=webapp_hash,
            restarts=restarts,
        )
        logger.info(
            "plugin %s/%s is running (activated in %.3fs)",
            host.name,
            plugin.plugin_id,
            time.monotonic() - began,
        )

    def _launch(self, host: HostServer, plugin: HostPlugin) -> tuple[str, PluginProcess | None]:
        """Mattermost's activation steps, in its order; returns (webapp hash, process)."""
        manifest: dict[str, Any] = dict(records.plugin_manifest(plugin_pk=plugin.pk))
        manifest.setdefault("id", plugin.plugin_id)
        check_server_version(manifest, host.server_version)
        if not has_server(manifest) and not has_webapp(manifest):
            raise ActivationError("must at least have a web app or server component")
        sync_plugin_dir(host, plugin, only_if_missing=True)
        plugin_dir = host.plugin_dir / plugin.plugin_id
        webapp_hash = ""
        if has_webapp(manifest):
            webapp_hash = unpack_webapp(manifest, plugin_dir, host.client_dir)
        if not has_server(manifest):
            return webapp_hash, None
        command = plugin_command(manifest, plugin_dir)
        log = PluginLog(
            host.root_dir / "logs" / f"{plugin.plugin_id}.log",
            max_bytes=self.config.log_max_bytes,
            ring_lines=self.config.log_ring_lines,
        )
        process = PluginProcess(
            command=command,
            owner=self._owner(host, plugin.plugin_id),
            log=log,
            limits=(self.config.limit_nofile, self.config.limit_fsize, self.config.limit_as),
        )
        try:
            process.start(handshake_timeout=self.config.handshake_timeout)
        except BaseException:
            log.close()
            raise
        return webapp_hash, process

    def _fail(
        self,
        plugin: HostPlugin,
        state: PluginState,
        message: str,
        *,
        restarts: list[str] | None = None,
    ) -> None:
        fields: dict[str, Any] = {
            "state": state,
            "error": message,
            "pid": None,
            "running_generation": 0,
        }
        if restarts is not None:
            fields["restarts"] = restarts
        records.plugin_runtime_update(plugin_pk=plugin.pk, **fields)

    def _deactivate(
        self, key: Key, *, state: PluginState | None, timeout: float | None = None
    ) -> None:
        act = self.active.pop(key, None)
        if act is None:
            return
        if state is not None:
            records.plugin_runtime_update(plugin_pk=act.plugin_pk, state=PluginState.STOPPING)
        if act.process is not None:
            act.process.stop(timeout=self.config.stop_timeout if timeout is None else timeout)
        if act.log is not None:
            act.log.close()
        if state is not None:
            records.plugin_runtime_update(
                plugin_pk=act.plugin_pk, state=state, pid=None, running_generation=0, error=""
            )
        else:
            host = HostServer.objects.filter(pk=key[0]).first()
            if (
                host is not None
                and not HostPlugin.objects.filter(host=host, plugin_id=key[1]).exists()
            ):
                forget_plugin(host, key[1])

    # --- health ---------------------------------------------------------------------------
    def _health_check(self, host: HostServer, plugin: HostPlugin, key: Key, act: Active) -> None:
        process = act.process
        if process is None:
            return  # webapp-only: nothing runs
        if not process.alive():
            self._failed_check(host, plugin, key, act, f"exited with code {process.exit_code()}")
            return
        now = time.monotonic()
        if now < act.next_check:
            return
        if (host.config.get("PluginSettings") or {}).get("EnableHealthCheck") is False:
            # Mattermost's switch for the periodic ping; a crash is still noticed above.
            act.next_check = now + self.config.health_interval
            return
        if process.probe():
            act.failed_probes = 0
            act.next_check = now + self.config.health_interval
            records.plugin_runtime_update(plugin_pk=plugin.pk, heartbeat_at=timezone.now())
            return
        act.failed_probes += 1
        if act.failed_probes >= self.config.ping_fail_limit:
            self._failed_check(host, plugin, key, act, "health check failed: no answer")
        else:
            # Ping again soon: a failed check is several consecutive failed pings.
            act.next_check = now + min(1.0, self.config.health_interval)

    def _failed_check(
        self, host: HostServer, plugin: HostPlugin, key: Key, act: Active, reason: str
    ) -> None:
        now = timezone.now()
        window_start = now - timedelta(seconds=self.config.restart_window)
        restarts = [t for t in act.restarts if datetime.fromisoformat(t) >= window_start]
        restarts.append(now.isoformat())
        if act.process is not None and not act.process.alive():
            # Its last words (a panic on stderr) may still be in the pipe.
            act.process.join_output(timeout=0.5)
        tail = act.log.tail(1) if act.log else []
        detail = f"{reason}; last output: {tail[-1][:300]}" if tail else reason
        logger.warning("plugin %s/%s failed: %s", host.name, plugin.plugin_id, detail)
        self._deactivate(key, state=None)
        if len(restarts) >= self.config.restart_limit:
            # Mattermost clears the failure history when it gives up.
            self._fail(
                plugin,
                PluginState.FAILED_TO_STAY_RUNNING,
                f"plugin failed to stay running: {len(restarts)} failures within "
                f"{_duration(self.config.restart_window)} ({detail})",
                restarts=[],
            )
            return
        self._activate(host, plugin, key, restarts=restarts)


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"


def reconcile_once(supervisor: Supervisor) -> None:
    """One reconcile pass (the loop's body), for tests and one-shot commands."""
    supervisor.reconcile_once()
