"""Host server install speed versus ``tar -xzf`` (a script, not a test).

Starts a throw-away portal (its own var folder, SQLite, gunicorn on a free loopback port) and
the plugin supervisor, builds a ~50 MB plugin bundle (a server executable that prints a real
go-plugin handshake, a webapp bundle, and incompressible assets), then times, over several runs:

- portal: ``POST /api/v4/plugins`` (upload + validation + extraction + file store) then
  ``POST /plugins/{id}/enable`` and polling ``/plugins/statuses`` until the plugin is Running
  (process started, handshake read), all over HTTP through ``common.mattermost.MattermostClient``;
- tar: ``tar -xzf`` of the same file into an empty folder.

    .venv/bin/python tests/benchmarks/bench_hostserver.py [--size-mb 50] [--runs 3]

Target (issue 3): portal time <= 2x tar's. Activation is asynchronous (as in Mattermost): the
services wake the supervisor after commit, and the client polls ``statuses`` every 0.05 s here;
both are part of the portal figure. The supervisor runs with ``make run``'s settings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from common.bundle.build import build_bundle  # noqa: E402
from common.mattermost import MattermostClient  # noqa: E402

MiB = 1024 * 1024
PLUGIN_ID = "com.example.bench-install"
PASSWORD = "bench-password-not-secret"

SERVER = f"""#!{sys.executable}
import os, socket, tempfile
path = os.path.join(tempfile.mkdtemp(prefix="bench"), "sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
print(f"1|1|unix|{{path}}|netrpc|", flush=True)
while True:
    conn, _ = srv.accept()
    conn.close()
"""


def build(path: Path, size_mb: int) -> None:
    manifest = {
        "id": PLUGIN_ID,
        "name": "Bench install",
        "version": "1.0.0",
        "server": {"executables": {"linux-amd64": "server/dist/plugin-linux-amd64"}},
        "webapp": {"bundle_path": "webapp/dist/main.js"},
    }
    chunk = 8 * MiB
    files: dict[str, object] = {
        "server/dist/plugin-linux-amd64": (SERVER, 0o755),
        "webapp/dist/main.js": "console.log('bench');\n" * 20000,
    }
    remaining = size_mb * MiB
    index = 0
    while remaining > 0:
        size = min(chunk, remaining)
        files[f"assets/blob-{index}.bin"] = os.urandom(size)
        remaining -= size
        index += 1
    path.write_bytes(build_bundle(manifest, files))  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, capture_output=True
    )


SETUP = """
from django.contrib.auth.models import Group, User
from common.roles import PORTAL_ADMINS
from hostserver.services import host_ensure_defaults
host_ensure_defaults()
user = User.objects.create_user("bench", "bench@example.invalid", {password!r})
user.groups.add(Group.objects.get_or_create(name=PORTAL_ADMINS)[0])
"""


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            MattermostClient(url).ping()
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"the portal did not come up at {url}")


def portal_run(client: MattermostClient, bundle: Path) -> tuple[float, float]:
    """(whole time, of which the upload request)."""
    started = time.perf_counter()
    client.upload_plugin(bundle)
    uploaded = time.perf_counter() - started
    client.enable_plugin(PLUGIN_ID)
    status = client.wait_for_plugin_state(PLUGIN_ID, timeout=120, poll=0.05)
    elapsed = time.perf_counter() - started
    if status["state"] != 2:
        raise SystemExit(f"the plugin did not run: {json.dumps(status)}")
    client.disable_plugin(PLUGIN_ID)
    client.remove_plugin(PLUGIN_ID)
    return elapsed, uploaded


def tar_run(bundle: Path, scratch: Path) -> float:
    target = Path(tempfile.mkdtemp(dir=scratch))
    started = time.perf_counter()
    subprocess.run(["tar", "-xzf", str(bundle), "-C", str(target)], check=True)
    elapsed = time.perf_counter() - started
    shutil.rmtree(target)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--show-log", action="store_true", help="print the servers' log")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-hostserver-"))
    port = free_port()
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(work / "var"),
        "PORT": str(port),
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    for key in ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME"):
        env.pop(key, None)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        bundle = work / "bundle.tar.gz"
        build(bundle, args.size_mb)
        size = bundle.stat().st_size
        manage(env, "migrate", "--noinput")
        manage(env, "shell", "-c", SETUP.format(password=PASSWORD))
        logs = (work / "server.log").open("wb")
        processes.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "portal.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "300",
                ],
                cwd=REPO,
                env=env,
                stdout=logs,
                stderr=subprocess.STDOUT,
            )
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "hostserver_supervisor"],
                cwd=REPO,
                env=env,
                stdout=logs,
                stderr=subprocess.STDOUT,
            )
        )
        base = f"http://127.0.0.1:{port}/hosts/ci-extensions"
        wait_http(base)
        client = MattermostClient.login(base, "bench", PASSWORD, timeout=300)

        portal_times, upload_times, tar_times = [], [], []
        for run in range(args.runs):
            tar_times.append(tar_run(bundle, work))
            whole, upload = portal_run(client, bundle)
            portal_times.append(whole)
            upload_times.append(upload)
            print(
                f"run {run + 1}: portal {whole:.3f}s (upload request {upload:.3f}s)"
                f"  tar {tar_times[-1]:.3f}s"
            )
        portal, tar = statistics.median(portal_times), statistics.median(tar_times)
        upload = statistics.median(upload_times)
        print(f"bundle: {size / MiB:.1f} MiB compressed, {args.runs} runs, medians:")
        print(f"  portal upload+install+enable until Running: {portal:.3f}s")
        print(f"    of which the upload request (install):    {upload:.3f}s")
        print(f"    of which enable until Running:            {portal - upload:.3f}s")
        print(f"  tar -xzf:                                   {tar:.3f}s")
        print(f"  ratio portal/tar: {portal / tar:.2f}x (target <= 2x)")
    finally:
        if args.show_log and (work / "server.log").exists():
            print((work / "server.log").read_text()[-4000:])
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
