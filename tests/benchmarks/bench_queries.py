"""Query count and latency of the catalog list endpoints at 100 and 10,000 releases.

For each catalog size the script builds a fresh database, imports a generated Mattermost
``plugins.json`` of that many releases (real entries from shared/data/marketplace as templates when
present: same icons, settings schemas, signatures; new ids and versions), then requests every list
endpoint in-process through Django's test client and prints, per endpoint, the SQL query count and
the median latency of a cold request (process caches reset) and of warm ones. The target: query
counts independent of the catalog size.

Run from the repository root (see tests/benchmarks/README.md):
    .venv/bin/python tests/benchmarks/bench_queries.py [--sizes 100 10000] [--database-url ...]
Default database: a throw-away SQLite file; pass a PostgreSQL URL to measure there (the named
database is dropped and re-created for each size, so use one of your own).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO.parent / "shared" / "data" / "marketplace" / "plugins.json"
VERSIONS_PER_PLUGIN = 20
MATTERMOST_QUERY = (
    "page=0&filter=&server_version=10.5.0&enterprise_plugins=true&cloud=false"
    "&build_enterprise_ready=true&local_only=false&remote_only=false&plugin_id="
    "&return_all_versions=false&platform=linux-amd64"
)
ENDPOINTS = [
    ("/api/v1/plugins (Mattermost server query)", f"/api/v1/plugins?{MATTERMOST_QUERY}"),
    (
        "/api/v1/plugins all versions",
        "/api/v1/plugins?per_page=-1&return_all_versions=true&enterprise_plugins=true",
    ),
    ("/api/v1/plugins filter=bench", "/api/v1/plugins?filter=bench&per_page=50"),
    ("/api/catalog/plugins/", "/api/catalog/plugins/"),
    ("/api/catalog/plugins/?search=", "/api/catalog/plugins/?search=bench"),
    ("/api/catalog/releases/", "/api/catalog/releases/"),
    ("/ (marketplace home)", "/"),
]
WARM_REQUESTS = 15


def generated_catalog(size: int) -> bytes:
    """``size`` releases: size / 20 plugins of 20 versions each (fewer for small sizes)."""
    templates = json.loads(TEMPLATES.read_bytes()) if TEMPLATES.exists() else [_minimal_entry()]
    per_plugin = min(VERSIONS_PER_PLUGIN, max(1, size // 5))
    entries = []
    for index in range(size):
        plugin, version = divmod(index, per_plugin)
        entry = copy.deepcopy(templates[index % len(templates)])
        plugin_id = f"com.example.bench-{plugin:05d}"
        entry["manifest"]["id"] = plugin_id
        entry["manifest"]["name"] = f"Bench plugin {plugin}"
        entry["manifest"]["version"] = f"1.{version}.0"
        entry["manifest"]["min_server_version"] = "5.12.0"
        entry["download_url"] = f"https://plugins.example.com/{plugin_id}-1.{version}.0.tar.gz"
        entries.append(entry)
    return json.dumps(entries).encode()


def _minimal_entry() -> dict:
    return {
        "homepage_url": "https://example.com",
        "icon_data": "",
        "download_url": "",
        "release_notes_url": "",
        "labels": [],
        "hosting": "",
        "author_type": "community",
        "release_stage": "production",
        "enterprise": False,
        "signature": "",
        "manifest": {"id": "x", "name": "x", "version": "1.0.0", "description": "bench plugin"},
    }


def measure(size: int) -> list[tuple[str, str, int | None, float | None, float | None]]:
    """Runs inside a child process whose environment names a fresh database."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", "--noinput", verbosity=0)
    from marketplace import selectors
    from marketplace.services import catalog_import

    started = time.perf_counter()
    report = catalog_import(data=generated_catalog(size))
    print(
        f"[{size}] imported {report.total} entries in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    client = Client()
    rows = []
    for name, url in ENDPOINTS:
        getattr(selectors, "reset_caches", lambda: None)()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            cold = (time.perf_counter() - started) * 1000
        # Count now: each later request clears the connection's query log.
        count = len(queries)
        if response.status_code == 404:
            rows.append((name, "not routed", None, None, None))
            continue
        warm = []
        for _ in range(WARM_REQUESTS):
            started = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - started) * 1000)
        rows.append((name, str(response.status_code), count, cold, statistics.median(warm)))
    return rows


def child_env(size: int, args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_ENV": "development",
        "DEBUG": "false",
        "PORTAL_VAR_DIR": str(workdir / f"var-{size}"),
        "API_ANON_RATE": "1000000/minute",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    env.pop("REDIS_URL", None)
    if args.database_url:
        import psycopg

        name = args.database_url.rsplit("/", 1)[1]
        admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = args.database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(measure(args.child)))
        return

    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-queries-") as tmp:
        for size in args.sizes:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(size)],
                env=child_env(size, args, Path(tmp)),
                cwd=REPO,
                capture_output=True,
                text=True,
                check=False,
            )
            sys.stderr.write(done.stderr[-3000:] if done.returncode else done.stderr)
            if done.returncode:
                raise SystemExit(f"size {size} failed")
            results[size] = json.loads(done.stdout.strip().splitlines()[-1])

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\n{backend}; cold = first request with process caches reset; warm = median of "
        f"{WARM_REQUESTS}\n"
    )
    header = f"{'endpoint':<44}" + "".join(
        f"{f'{size} rel.: queries':>20}{'cold ms':>9}{'warm ms':>9}" for size in args.sizes
    )
    print(header)
    for index, (name, _) in enumerate(ENDPOINTS):
        line = f"{name:<44}"
        for size in args.sizes:
            _, status, queries, cold, warm = results[size][index]
            if queries is None:
                line += f"{status:>20}{'':>9}{'':>9}"
            else:
                line += f"{queries:>20}{cold:>9.1f}{warm:>9.1f}"
        print(line)
    counts = [
        {results[size][i][2] for size in args.sizes}
        for i in range(len(ENDPOINTS))
        if all(results[size][i][2] is not None for size in args.sizes)
    ]
    same = all(len(values) == 1 for values in counts)
    print(f"\nquery counts independent of catalog size: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
