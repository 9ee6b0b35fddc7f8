"""Knobs of the plugin supervisor, read from settings once (tests build their own)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RuntimeConfig:
    #: Seconds between two reconcile passes of the supervisor loop.
    interval: float = 0.5
    #: Seconds a plugin has to print its go-plugin handshake line (newest Mattermost: 3 s).
    handshake_timeout: float = 3.0
    #: Seconds between two health checks of a running plugin (Mattermost: 30 s).
    health_interval: float = 30.0
    #: Consecutive failed liveness probes that make one failed health check (Mattermost: 3).
    ping_fail_limit: int = 3
    #: Failed health checks inside ``restart_window`` that deactivate a plugin (Mattermost: 3).
    restart_limit: int = 3
    restart_window: float = 60 * 60.0
    #: Grace period between SIGTERM and SIGKILL of a plugin's process group.
    stop_timeout: float = 5.0
    #: Size cap of one plugin's log file; it is rotated once (``.1``) when it is reached.
    log_max_bytes: int = 1024 * 1024
    #: Lines of recent plugin output kept in memory (for errors and the admin UI).
    log_ring_lines: int = 200
    #: ``RLIMIT_*`` values applied to each plugin process (0 = leave the inherited limit).
    limit_nofile: int = 4096
    limit_fsize: int = 1024 * 1024 * 1024
    limit_as: int = 0

    @classmethod
    def from_settings(cls) -> RuntimeConfig:
        prefix = "HOSTSERVER_SUPERVISOR_"
        values = {}
        for name in cls.__dataclass_fields__:
            key = prefix + name.upper()
            if hasattr(settings, key):
                values[name] = getattr(settings, key)
        return cls(**values)
