"""Bundle validation speed and memory versus ``tar -tzf`` (a script, not a test).

Builds a ~200 MB plugin bundle (half incompressible "binaries", half compressible text, like a
real bundle with server executables and a webapp) in a temporary directory, then times
``common.bundle.read_bundle`` against ``tar -tzf`` over several runs, and measures the peak RSS
of a subprocess that validates it (next to a subprocess that only imports the module, so the
interpreter's own footprint is visible).

    .venv/bin/python tests/benchmarks/bench_bundle.py [--size-mb 200] [--runs 5]

Target (issue 2): validation at >= 70% of tar's speed (time ratio <= 1.43) with memory bounded
whatever the bundle size.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from common.bundle import read_bundle  # noqa: E402

MiB = 1024 * 1024


def _text_block(size: int, seed: int) -> bytes:
    """Pseudo source code: random identifiers and punctuation, compresses roughly 3-4x."""
    rng = random.Random(seed)
    words = [
        "".join(rng.choices("abcdefghijklmnopqrstuvwxyz_", k=rng.randint(3, 12)))
        for _ in range(2000)
    ]
    out = io.StringIO()
    written = 0
    while written < size:
        a, b, c = rng.choice(words), rng.choice(words), rng.choice(words)
        line = f"const {a} = {b}({c}, {rng.randint(0, 99999)});\n"
        out.write(line)
        written += len(line)
    return out.getvalue().encode()[:size]


def build(path: Path, size_mb: int) -> None:
    half = size_mb * MiB // 2
    manifest = {
        "id": "com.example.bench",
        "name": "Bench",
        "version": "1.0.0",
        "server": {
            "executables": {
                f"linux-{arch}": f"server/dist/plugin-linux-{arch}" for arch in ("amd64", "arm64")
            }
        },
        "webapp": {"bundle_path": "webapp/dist/main.js"},
    }
    text = _text_block(4 * MiB, seed=1)
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:

        def add(
            name: str, data: bytes | None = None, size: int = 0, mode: int = 0o644, stream=None
        ) -> None:
            info = tarfile.TarInfo(f"com.example.bench/{name}")
            info.mode = mode
            info.size = len(data) if data is not None else size
            tar.addfile(info, io.BytesIO(data) if data is not None else stream)

        add("plugin.json", json.dumps(manifest).encode())
        per_binary = half // 2
        for arch in ("amd64", "arm64"):
            add(f"server/dist/plugin-linux-{arch}", os.urandom(per_binary), mode=0o755)
        js_size = half // 2
        add("webapp/dist/main.js", (text * (js_size // len(text) + 1))[:js_size])
        # Many small assets, as real webapps have.
        for index in range(2000):
            chunk = text[index * 997 % (len(text) - 20000) :][: (half // 2) // 2000]
            add(f"assets/i18n/file{index}.json", chunk)


def _time(fn, runs: int) -> list[float]:
    fn()  # warm the page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


_HWM = (
    "import pathlib; print([l.split()[1] for l in pathlib.Path('/proc/self/status')"
    ".read_text().splitlines() if l.startswith('VmHWM:')][0])"
)


def _peak_rss_mb(code: str) -> float:
    """Peak RSS (MiB) of a fresh interpreter running ``code``.

    Read from the child's own VmHWM: getrusage(RUSAGE_CHILDREN) would also count the pages a
    forked child shares with this (large) parent before it execs.
    """
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{_HWM}"],
        check=True,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.split()[-1]) / 1024


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.3f}" for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--small-mb", type=int, default=50, help="also measure peak RSS on a bundle this size"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.tar.gz"
        start = time.perf_counter()
        build(path, args.size_mb)
        compressed = path.stat().st_size
        info = read_bundle(path)
        size = info.uncompressed_size / MiB
        print(
            f"bundle: {size:.0f} MiB of files in {info.entries} entries, "
            f"{compressed / MiB:.0f} MiB compressed (built in {time.perf_counter() - start:.1f} s)"
        )

        def run_tar() -> None:
            subprocess.run(["tar", "-tzf", str(path)], check=True, stdout=subprocess.DEVNULL)

        tar_times = _time(run_tar, args.runs)
        ours = _time(lambda: read_bundle(path), args.runs)
        tar_med, our_med = statistics.median(tar_times), statistics.median(ours)

        base_rss = _peak_rss_mb("import common.bundle")
        rss = _peak_rss_mb(f"from common.bundle import read_bundle; read_bundle({str(path)!r})")
        small = Path(tmp) / "small.tar.gz"
        build(small, args.small_mb)
        small_rss = _peak_rss_mb(
            f"from common.bundle import read_bundle; read_bundle({str(small)!r})"
        )

        print(f"tar -tzf    : median {tar_med:.3f} s  (runs: {_runs(tar_times)})")
        print(f"read_bundle : median {our_med:.3f} s  (runs: {_runs(ours)})")
        print(
            f"throughput  : tar {size / tar_med:.0f} MiB/s, read_bundle {size / our_med:.0f} MiB/s"
        )
        print(f"time ratio  : read_bundle / tar = {our_med / tar_med:.2f} (target <= 1.43)")
        print(f"speed       : {100 * tar_med / our_med:.0f}% of tar's speed (target >= 70%)")
        print(
            f"peak RSS    : {rss:.1f} MiB for the {args.size_mb} MB bundle, "
            f"{small_rss:.1f} MiB for a {args.small_mb} MB one, "
            f"{base_rss:.1f} MiB for the interpreter + import alone"
        )


if __name__ == "__main__":
    main()
