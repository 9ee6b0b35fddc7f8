"""Benchmark: scan a generated ~10k-line plugin source (Go + TypeScript + Python) with every
release-review scanner, as ``manage.py scan_source`` does. Target: at most 20 s on the CI box.

Run: ``.venv/bin/python tests/benchmarks/bench_scan.py [--lines 10000]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from certification import scanners  # noqa: E402
from certification.scanners.base import ScannerError  # noqa: E402

GO_FUNC = """
func handler{n}(w http.ResponseWriter, r *http.Request) {{
\tname := r.URL.Query().Get("name")
\tif name == "" {{
\t\thttp.Error(w, "missing name", http.StatusBadRequest)
\t\treturn
\t}}
\tvalues := strings.Split(name, ",")
\tfor i, v := range values {{
\t\tvalues[i] = strings.TrimSpace(v)
\t}}
\tw.Write([]byte(strings.Join(values, ";")))
}}
"""
TS_FUNC = """
export function render{n}(items: string[], limit: number): string[] {{
    const out: string[] = [];
    for (const item of items.slice(0, limit)) {{
        if (item.trim().length === 0) {{
            continue;
        }}
        out.push(item.toUpperCase());
    }}
    return out;
}}
"""
PY_FUNC = """
def summarise_{n}(rows):
    total = 0
    for row in rows:
        if not row:
            continue
        total += len(row)
    return total
"""


def generate(root: Path, lines: int) -> int:
    """Write Go, TS and Python files until about ``lines`` lines; return the real count."""
    written = 0
    n = 0
    per_file = 40
    while written < lines:
        for kind, template, header in (
            ("go", GO_FUNC, 'package main\n\nimport (\n\t"net/http"\n\t"strings"\n)\n'),
            ("tsx", TS_FUNC, "// generated\n"),
            ("py", PY_FUNC, '"""generated"""\n'),
        ):
            folder = {"go": "server", "tsx": "webapp/src", "py": "tools"}[kind]
            path = root / folder / f"gen_{n}.{kind}"
            path.parent.mkdir(parents=True, exist_ok=True)
            body = header + "".join(template.format(n=n * per_file + i) for i in range(per_file))
            # One real problem per file so that findings are produced and stored.
            if kind == "go":
                body += '\nconst apiToken = "tok_live_0123456789"\n'
            path.write_text(body)
            written += body.count("\n")
        n += 1
    (root / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge\n")
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        root = Path(tmp)
        lines = generate(root, args.lines)
        files = sum(1 for p in root.rglob("*") if p.is_file())
        print(f"generated {lines} lines in {files} files")
        for tool in scanners.TOOLS:
            start = time.perf_counter()
            try:
                result = scanners.run_tool(
                    tool, root, declared_licence="MIT", manifest_data={"id": "x", "version": "1"}
                )
                outcome = f"{len(result.findings)} findings"
            except ScannerError as exc:
                outcome = f"FAILED: {exc}"
            print(f"  {tool:<9} {time.perf_counter() - start:6.2f} s alone  {outcome}")
        # What the release review and scan_source do: every scanner, concurrently.
        start = time.perf_counter()
        results = scanners.scan_tree(root, declared_licence="MIT")
        total = time.perf_counter() - start
        failed = [r for r in results if isinstance(r, ScannerError)]
        verdict = "OK" if total <= 20 and not failed else "OVER TARGET OR FAILED"
        print(f"scan_tree: {total:.2f} s for {lines} lines (target <= 20 s): {verdict}")
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
