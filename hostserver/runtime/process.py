"""One plugin server process: launch, handshake, liveness, stop.

The process runs in its own session (so its own process group): stopping it signals the whole
group, which takes down anything it forked. Its pipes are drained by ``logs.start_drain``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import signal
import socket
import subprocess  # nosec B404  # running plugin processes is this module's job
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from .activation import Command
from .handshake import PLUGIN_ENV, Handshake, HandshakeError, parse_handshake
from .logs import PluginLog, start_drain

#: Marks every plugin process with its owner, so a restarted supervisor can find and stop the
#: processes a crashed predecessor left behind (see ``find_orphans``) without trusting a bare pid.
OWNER_ENV = "PORTAL_HOSTPLUGIN"


class LaunchError(RuntimeError):
    """The plugin did not start; the message is what an admin sees in ``statuses``."""


def _limits_preexec(nofile: int, fsize: int, address_space: int) -> None:
    # Runs in the child between fork and exec: only async-signal-safe-ish work (setrlimit).
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for which, value in (
        (resource.RLIMIT_NOFILE, nofile),
        (resource.RLIMIT_FSIZE, fsize),
        (resource.RLIMIT_AS, address_space),
    ):
        if value > 0:
            _soft, hard = resource.getrlimit(which)
            capped = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (capped, capped))


def process_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (a zombie runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the command name, which is wrapped in parentheses.
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # fields: state, ppid, pgrp, ...
        if fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def kill_group(pgid: int, *, timeout: float) -> None:
    """SIGTERM the group, wait up to ``timeout`` for it to empty, then SIGKILL what is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and group_members(pgid):
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and group_members(pgid):
        time.sleep(0.02)


def marked_processes(owner: str, *, prefix: bool = False) -> list[int]:
    """Live processes carrying the owner mark (``owner``, or any mark starting with it).

    Every descendant of a plugin inherits the mark unless it scrubs its environment, so this
    also finds children that left the process group with ``setsid()``.
    """
    wanted = f"{OWNER_ENV}={owner}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = Path(entry.path, "environ").read_bytes()
        except OSError:
            continue
        items = environ.split(b"\0")
        hit = any(i.startswith(wanted) for i in items) if prefix else wanted in items
        if hit and process_running(int(entry.name)):
            found.append(int(entry.name))
    return found


def kill_marked(owner: str, *, prefix: bool = False) -> None:
    """SIGKILL every process still carrying the mark, and wait briefly for them to go."""
    for pid in marked_processes(owner, prefix=prefix):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and marked_processes(owner, prefix=prefix):
        time.sleep(0.02)


def find_orphans(owner_prefix: str) -> list[int]:
    """Process groups led by a plugin process whose owner mark starts with ``owner_prefix``."""
    leaders = []
    for pid in marked_processes(owner_prefix, prefix=True):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:
                leaders.append(pid)
    return leaders


class PluginProcess:
    def __init__(
        self,
        *,
        command: Command,
        owner: str,
        log: PluginLog,
        extra_env: Mapping[str, str] | None = None,
        limits: tuple[int, int, int] = (0, 0, 0),
    ) -> None:
        self.command = command
        self.executable = command.path
        self.owner = owner
        self.log = log
        self.extra_env = dict(extra_env or {})
        self.limits = limits
        self.popen: subprocess.Popen[bytes] | None = None
        self.handshake: Handshake | None = None
        self._first_line: bytes | None = None
        self._first_line_seen = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self, *, handshake_timeout: float) -> Handshake:
        """Launch the executable and wait for its handshake; raise LaunchError on any failure."""
        env = {**os.environ, **PLUGIN_ENV, **self.extra_env, OWNER_ENV: self.owner}
        nofile, fsize, address_space = self.limits
        try:
            # No arguments, as Mattermost; cwd is left as the server's (Go plugins ask the API
            # for their bundle path rather than relying on it). Running the admin-installed
            # plugin is the point; no shell, a fixed argv of one contained path.
            self.popen = subprocess.Popen(  # noqa: S603  # nosec B603
                list(self.command.argv),
                cwd=self.command.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
                close_fds=True,
                preexec_fn=lambda: _limits_preexec(nofile, fsize, address_space),
            )
        except OSError as exc:
            raise LaunchError(_exec_error(exc, self.executable)) from exc
        assert self.popen.stdout is not None and self.popen.stderr is not None
        out_fd = os.dup(self.popen.stdout.fileno())
        err_fd = os.dup(self.popen.stderr.fileno())
        self.popen.stdout.close()
        self.popen.stderr.close()
        self._threads = [
            start_drain(out_fd, stream="stdout", log=self.log, on_first_line=self._got_first),
            start_drain(err_fd, stream="stderr", log=self.log),
        ]
        try:
            self.handshake = self._await_handshake(handshake_timeout)
        except LaunchError:
            self.stop(timeout=0.5)
            raise
        return self.handshake

    def _got_first(self, line: bytes | None) -> None:
        self._first_line = line
        self._first_line_seen.set()

    def _await_handshake(self, timeout: float) -> Handshake:
        assert self.popen is not None
        if not self._first_line_seen.wait(timeout):
            raise LaunchError(
                f"timeout while waiting for plugin to start: no handshake within {timeout:g}s"
                f"{self._stderr_hint()}"
            )
        line = self._first_line
        if line is None:
            code = _wait_code(self.popen, 1.0)
            for thread in self._threads:
                # Let stderr's last words reach the log: they usually say why it exited.
                thread.join(timeout=0.5)
            if code is None:
                raise LaunchError(
                    f"plugin closed its output without a handshake{self._stderr_hint()}"
                )
            raise LaunchError(
                f"plugin exited before we could connect (exit code {code}){self._stderr_hint()}"
            )
        try:
            return parse_handshake(line.decode("utf-8", errors="replace"))
        except HandshakeError as exc:
            raise LaunchError(f"bad handshake: {exc}") from exc

    def _stderr_hint(self) -> str:
        # The last stderr line usually says why (go-plugin's "This binary is a plugin", a panic).
        tail = [line for line in self.log.tail(5) if line.strip()]
        return f"; last output: {tail[-1][:300]}" if tail else ""

    def join_output(self, timeout: float) -> None:
        """Wait (briefly) until the output of an exited plugin is fully in the log."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def exit_code(self) -> int | None:
        return self.popen.poll() if self.popen else None

    def probe(self, timeout: float = 1.0) -> bool:
        """Liveness: the process runs and its handshake address accepts a connection."""
        if not self.alive():
            return False
        hs = self.handshake
        if hs is None:
            return True
        try:
            if hs.network == "unix":
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    sock.settimeout(timeout)
                    sock.connect(hs.address)
            else:
                host, _, port = hs.address.rpartition(":")
                with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                    pass
        except (OSError, ValueError):
            return False
        return True

    def stop(self, *, timeout: float) -> None:
        """Stop the whole process group (SIGTERM, grace, SIGKILL) and reap the leader."""
        if self.popen is None:
            return
        kill_group(self.popen.pid, timeout=timeout)
        # Descendants that escaped the group (setsid) still carry the mark.
        kill_marked(self.owner)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=2.0)
        for thread in self._threads:
            thread.join(timeout=1.0)
        self.log.flush()


def _wait_code(popen: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def _exec_error(exc: OSError, path: Path) -> str:
    name = path.name
    if exc.errno == errno.ENOEXEC:
        return f"unable to start plugin: exec format error: {name}"
    if exc.errno == errno.EACCES:
        return f"unable to start plugin: permission denied (not executable?): {name}"
    if exc.errno == errno.ENOENT:
        if path.exists():
            return f"unable to start plugin: interpreter of its #! line not found: {name}"
        return f"unable to start plugin: file not found: {name}"
    return f"unable to start plugin: {exc.strerror or exc}: {name}"
