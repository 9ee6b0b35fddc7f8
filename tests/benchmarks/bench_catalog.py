"""Catalog throughput: `/api/v1/plugins` as a Mattermost server queries it, portal vs nginx.

The portal runs as in production (gunicorn with N sync workers via docker/gunicorn.conf.py,
PostgreSQL, Redis cache, ``PORTAL_ENV=production`` — only plain http on loopback), with the real
Marketplace catalog imported by ``import_marketplace``. nginx serves the very same response bytes as
a static file. ``wrk`` (Debian) loads both with the same connections and duration; the script prints
throughput, p50/p99 latency and the portal/nginx ratio against the targets (≥ 1/4 of nginx,
p99 < 20 ms).

Run from the repository root (see tests/benchmarks/README.md):
    apt-get install -y wrk nginx-light
    .venv/bin/python tests/benchmarks/bench_catalog.py [--workers 4] [--duration 15]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CATALOG = REPO.parent / "shared" / "data" / "marketplace" / "plugins.json"
# What a Mattermost server sends (spec/marketplace-api.md section 9): no per_page, so 100 apply.
MATTERMOST_QUERY = (
    "page=0&filter=&server_version=10.5.0&enterprise_plugins=true&cloud=false"
    "&build_enterprise_ready=true&local_only=false&remote_only=false&plugin_id="
    "&return_all_versions=false&platform=linux-amd64"
)
PATH = "/api/v1/plugins"


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def ensure_database(url: str) -> None:
    import psycopg

    match = re.match(r"postgres(?:ql)?://(?P<auth>[^@]*)@(?P<host>[^/]+)/(?P<name>\w+)$", url)
    if not match:
        raise SystemExit(f"cannot parse {url}")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (match["name"],)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{match["name"]}"')


def parse_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(name: str, url: str, args: argparse.Namespace) -> Result:
    base = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--latency"]
    subprocess.run([*base, "-d2s", url], check=True, capture_output=True)  # warm-up
    out = subprocess.run(
        [*base, f"-d{args.duration}s", url], check=True, capture_output=True, text=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = parse_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = parse_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = "; ".join(
        line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line
    )
    return Result(name, rps, p50, p99, errors or "none")


def start_nginx(workdir: Path, body: bytes, port: int) -> subprocess.Popen:
    (workdir / "plugins.json").write_bytes(body)
    (workdir / "logs").mkdir(exist_ok=True)
    conf = workdir / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(
        f"""
{user}
worker_processes auto;
error_log stderr warn;
pid {workdir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path {workdir}/tmp;
    proxy_temp_path {workdir}/tmp;
    fastcgi_temp_path {workdir}/tmp;
    uwsgi_temp_path {workdir}/tmp;
    scgi_temp_path {workdir}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location = {PATH} {{
            default_type application/json;
            alias {workdir}/plugins.json;
        }}
    }}
}}
"""
    )
    (workdir / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(
        ["nginx", "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"],
        start_new_session=True,
    )


def stop(process: subprocess.Popen | None) -> None:
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    )
    parser.add_argument(
        "--workers", type=int, default=(os.cpu_count() or 1) + 1, help="gunicorn processes"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    args = parser.parse_args()

    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install -y wrk nginx-light")
    if not args.catalog.exists():
        raise SystemExit(f"catalog {args.catalog} is missing")

    ensure_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    env = {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": "bench-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "PORTAL_VAR_DIR": str(workdir / "var"),
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_ACCESSLOG": "",
        "PYTHONPATH": str(REPO),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    python = sys.executable
    manage = [python, str(REPO / "manage.py")]
    print(f"migrating {args.database_url} and importing {args.catalog} ...", flush=True)
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=REPO)
    subprocess.run(
        [*manage, "import_marketplace", str(args.catalog), "--no-progress"],
        env=env,
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=REPO)

    portal_port, nginx_port = free_port(), free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{portal_port}"
    gunicorn = nginx = None
    try:
        gunicorn = subprocess.Popen(
            [
                str(Path(python).parent / "gunicorn"),
                "--config",
                str(REPO / "docker" / "gunicorn.conf.py"),
                "portal.wsgi:application",
            ],
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
        portal_url = f"http://127.0.0.1:{portal_port}{PATH}?{MATTERMOST_QUERY}"
        body = wait_http(portal_url)
        plugins = json.loads(body)
        print(f"portal answers {len(plugins)} plugins, {len(body)} bytes", flush=True)
        nginx = start_nginx(workdir, body, nginx_port)
        nginx_url = f"http://127.0.0.1:{nginx_port}{PATH}?{MATTERMOST_QUERY}"
        assert wait_http(nginx_url) == body
        portal = run_wrk(f"portal (gunicorn x{args.workers})", portal_url, args)
        static = run_wrk("nginx (static file)", nginx_url, args)
        stop(gunicorn)
        # The floor: the same gunicorn settings serving the same bytes without Django.
        floor_port = free_port()
        gunicorn = subprocess.Popen(
            [
                str(Path(python).parent / "gunicorn"),
                "--config",
                str(REPO / "docker" / "gunicorn.conf.py"),
                "static_wsgi:application",
            ],
            env={
                **env,
                "GUNICORN_BIND": f"127.0.0.1:{floor_port}",
                "BENCH_BODY_FILE": str(workdir / "plugins.json"),
                "PYTHONPATH": str(Path(__file__).parent),
            },
            cwd=REPO,
            start_new_session=True,
        )
        floor_url = f"http://127.0.0.1:{floor_port}{PATH}?{MATTERMOST_QUERY}"
        assert wait_http(floor_url) == body
        floor = run_wrk(f"bare WSGI (gunicorn x{args.workers})", floor_url, args)
    finally:
        stop(gunicorn)
        stop(nginx)
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\nGET {PATH}?{MATTERMOST_QUERY}\n"
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {os.cpu_count()} CPUs "
        "shared by server and load generator\n"
    )
    print(f"{'server':<30}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}  errors")
    for result in (portal, floor, static):
        print(
            f"{result.name:<30}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}"
            f"{result.p99_ms:>10.2f}  {result.errors}"
        )
    ratio = portal.requests_per_second / static.requests_per_second
    print(
        f"\nportal/nginx throughput ratio: {ratio:.3f} (target >= 0.25: "
        f"{'met' if ratio >= 0.25 else 'MISSED'})"
    )
    print(
        "portal/bare-WSGI throughput ratio: "
        f"{portal.requests_per_second / floor.requests_per_second:.3f} "
        "(what the portal's view and middleware cost on top of gunicorn)"
    )
    print(
        f"portal p99: {portal.p99_ms:.2f} ms (target < 20 ms: "
        f"{'met' if portal.p99_ms < 20 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
