"""Executables for test plugins: real scripts that behave like go-plugin servers (or do not)."""

from __future__ import annotations

import sys

PY = sys.executable

#: Listens on a unix socket, prints the handshake, serves connections until killed.
GOOD = f"""#!{PY}
import os, socket, sys, tempfile
path = os.path.join(tempfile.mkdtemp(prefix="plug"), "sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
assert os.environ.get("MATTERMOST_PLUGIN") == "Securely message teams, anywhere.", "no cookie"
print(f"1|1|unix|{{path}}|netrpc|", flush=True)
print("plugin started", file=sys.stderr, flush=True)
while True:
    conn, _ = srv.accept()
    conn.close()
"""

#: Listens on TCP like a Windows plugin would.
GOOD_TCP = f"""#!{PY}
import socket
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print(f"1|1|tcp|127.0.0.1:{{srv.getsockname()[1]}}|grpc|", flush=True)
while True:
    conn, _ = srv.accept()
    conn.close()
"""

#: Handshakes, then stops answering (closes its socket) while staying alive.
DEAF = f"""#!{PY}
import os, socket, tempfile, time
path = os.path.join(tempfile.mkdtemp(prefix="plug"), "sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
print(f"1|1|unix|{{path}}|netrpc|", flush=True)
srv.close()
os.unlink(path)
time.sleep(600)
"""

#: Writes its environment check result and the handshake, then floods stdout and stderr.
FLOOD = f"""#!{PY}
import os, socket, sys, tempfile, threading
path = os.path.join(tempfile.mkdtemp(prefix="plug"), "sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
print(f"1|1|unix|{{path}}|netrpc|", flush=True)
def serve():
    while True:
        conn, _ = srv.accept()
        conn.close()
threading.Thread(target=serve, daemon=True).start()
line = ("x" * 1000 + "\\n") * 64
noline = "y" * 100000
while True:
    sys.stdout.write(line)
    sys.stdout.write(noline)
    sys.stderr.write(line)
"""


def crash_after(seconds: float, code: int) -> str:
    return f"""#!/bin/sh
echo "1|1|tcp|127.0.0.1:1|netrpc|"
sleep {seconds}
echo "panic: something broke" >&2
exit {code}
"""


NEVER_ANSWERS = "#!/bin/sh\nsleep 60\n"
GARBAGE = "#!/bin/sh\necho 'hello, I am not a plugin'\nsleep 60\n"
EXITS_AT_ONCE = "#!/bin/sh\necho 'This binary is a plugin.' >&2\nexit 2\n"
BAD_CORE = "#!/bin/sh\necho '2|1|unix|/tmp/x|netrpc|'\nsleep 60\n"
REMOTE_ADDRESS = "#!/bin/sh\necho '1|1|tcp|10.1.2.3:6379|grpc|'\nsleep 60\n"
CLOSES_OUTPUT = "#!/bin/sh\nexec >&-\nsleep 60\n"
MISSING_INTERPRETER = "#!/nonexistent/interpreter\nprint('hi')\n"
BAD_PROTOCOL = "#!/bin/sh\necho '1|1|unix|/tmp/x|carrier-pigeon|'\nsleep 60\n"


def ignores_term(pidfile: str) -> str:
    """Ignores SIGTERM (as does its child), so only SIGKILL of the group stops them."""
    return f"""#!{PY}
import os, signal, socket, tempfile, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
path = os.path.join(tempfile.mkdtemp(prefix="plug"), "sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
open({pidfile!r}, "w").write(str(os.getpid()))
print(f"1|1|unix|{{path}}|netrpc|", flush=True)
while True:
    time.sleep(1)
"""


def forks_child(pidfile: str) -> str:
    """Forks a grandchild that ignores SIGTERM and outlives its parent unless the group dies."""
    return f"""#!/bin/sh
( trap '' TERM; exec sleep 300 ) &
echo $! > {pidfile}
echo "1|1|tcp|127.0.0.1:1|netrpc|"
exec sleep 300
"""


def escapes_group(pidfile: str) -> str:
    """Forks a child that leaves the process group with setsid() and ignores SIGTERM."""
    return f"""#!{PY}
import os, signal, time
pid = os.fork()
if pid == 0:
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    open({pidfile!r}, "w").write(str(os.getpid()))
    while True:
        time.sleep(1)
while not os.path.exists({pidfile!r}):
    time.sleep(0.01)
print("1|1|tcp|127.0.0.1:1|netrpc|", flush=True)
while True:
    time.sleep(1)
"""
