"""The bounded plugin log: a ring of recent lines and a size-capped, once-rotated file."""

from __future__ import annotations

import os
from pathlib import Path

from hostserver.runtime.logs import MAX_LINE_BYTES, PluginLog, start_drain


def test_log_file_is_rotated_once_and_stays_bounded(tmp_path: Path) -> None:
    log = PluginLog(tmp_path / "p.log", max_bytes=8192, ring_lines=5)

    for i in range(2000):
        log.write_line("stdout", f"line {i} ".encode() * 10)
    log.close()

    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["p.log", "p.log.1"]
    assert all((tmp_path / name).stat().st_size <= 8192 for name in files)
    assert "line 1999" in (tmp_path / "p.log").read_text()
    assert log.tail(3)[-1].startswith("line 1999")
    assert len(log.tail(100)) == 5


def test_endless_line_is_cut(tmp_path: Path) -> None:
    log = PluginLog(tmp_path / "p.log", max_bytes=1 << 20, ring_lines=5)

    log.write_line("stderr", b"z" * (MAX_LINE_BYTES * 4))

    assert log.tail(1)[0].endswith("...[cut]")
    assert len(log.tail(1)[0]) < MAX_LINE_BYTES + 16


def test_drain_hands_over_the_first_line_and_logs_the_rest(tmp_path: Path) -> None:
    log = PluginLog(tmp_path / "p.log", max_bytes=1 << 20, ring_lines=10)
    read_fd, write_fd = os.pipe()
    first: list[bytes | None] = []

    thread = start_drain(read_fd, stream="stdout", log=log, on_first_line=first.append)
    os.write(write_fd, b"1|1|unix|/tmp/x|netrpc|\nhello\nbinary \xff\n")
    os.write(write_fd, b"no newline at the end")
    os.close(write_fd)
    thread.join(timeout=5)

    assert first == [b"1|1|unix|/tmp/x|netrpc|"]
    assert log.tail(10) == ["hello", "binary \ufffd", "no newline at the end"]


def test_drain_reports_eof_before_any_line(tmp_path: Path) -> None:
    log = PluginLog(tmp_path / "p.log", max_bytes=1 << 20, ring_lines=10)
    read_fd, write_fd = os.pipe()
    first: list[bytes | None] = []

    thread = start_drain(read_fd, stream="stdout", log=log, on_first_line=first.append)
    os.close(write_fd)
    thread.join(timeout=5)

    assert first == [None]
