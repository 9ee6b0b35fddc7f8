"""Run the plugin supervisor of every host server until SIGTERM/SIGINT (``make run`` starts it)."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import replace
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hostserver.runtime import RuntimeConfig, Supervisor, SupervisorBusy, notify_supervisor


class Command(BaseCommand):
    help = "Start, health-check and stop plugin processes of all host servers (one per machine)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, help="seconds between reconcile passes")
        parser.add_argument(
            "--handshake-timeout", type=float, help="seconds a plugin has to print its handshake"
        )
        parser.add_argument(
            "--health-interval", type=float, help="seconds between health checks of a plugin"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("hostserver.runtime").setLevel(logging.INFO)
        config = RuntimeConfig.from_settings()
        overrides = {
            name: options[opt]
            for name, opt in (
                ("interval", "interval"),
                ("handshake_timeout", "handshake_timeout"),
                ("health_interval", "health_interval"),
            )
            if options.get(opt) is not None
        }
        config = replace(config, **overrides)
        supervisor = Supervisor(config)
        try:
            supervisor.acquire()
        except SupervisorBusy as exc:
            raise CommandError(str(exc)) from exc
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            self.stdout.write(f"signal {signum}: stopping all plugins")
            stop.set()
            # Interrupt the loop's sleep at once.
            notify_supervisor(supervisor.root)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.stdout.write(f"plugin supervisor running (every {config.interval:g}s)")
        supervisor.run(stop)
        self.stdout.write("plugin supervisor stopped")
