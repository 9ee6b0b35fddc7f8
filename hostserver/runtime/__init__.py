"""The plugin runtime of the embedded host servers: supervisor, processes, health, webapp unpack.

Only the supervisor process (``manage.py hostserver_supervisor``) imports this to run plugins;
web workers never own child processes. See ``docs/hostserver.md`` ("Plugin processes").
"""

from .config import RuntimeConfig
from .supervisor import Supervisor, SupervisorBusy, reconcile_once
from .wake import notify_supervisor

__all__ = ["RuntimeConfig", "Supervisor", "SupervisorBusy", "notify_supervisor", "reconcile_once"]
