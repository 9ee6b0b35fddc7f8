import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from certification import scanners
from certification.models import Finding, JobStatus, ScanRun
from certification.scanners import bandit, licence, manifest, semgrep
from certification.scanners.base import ScannerError
from certification.services.scans import scan_execute, scans_start
from certification.workflow import Status
from tests.certification.conftest import APACHE, force_status, make_source

RULES = semgrep.RULES_DIR
MIT = (
    "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy"
    "\n...\nThe above copyright notice and this permission notice shall be included in all\n"
)


def annotated(path: Path) -> set[tuple[str, int]]:
    """(rule, line) pairs a rule test file says must be reported."""
    expected = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = re.search(r"ruleid:\s*([\w-]+)", line)
        if match:
            expected.add((match.group(1), number + 1))
    return expected


def test_semgrep_rule_tests_pass():
    semgrep_bin = Path(sys.executable).parent / "semgrep"
    proc = subprocess.run(
        [str(semgrep_bin), "--test", "--metrics=off", "--disable-version-check", str(RULES)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("test_file", ["go.go", "js.tsx"])
def test_our_runner_reports_exactly_the_annotated_lines(tmp_path, test_file):
    (tmp_path / test_file).write_text((RULES / test_file).read_text())
    # A tests/ folder is scanned too (semgrep would skip it by default).
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / test_file).write_text((RULES / test_file).read_text())
    result = semgrep.run(tmp_path)
    expected = annotated(RULES / test_file)
    got = {(f.rule_id, f.line) for f in result.findings if f.file == test_file}
    assert got == expected
    assert {(f.rule_id, f.line) for f in result.findings if f.file == f"tests/{test_file}"} == got
    one = next(f for f in result.findings if f.rule_id.endswith("hardcoded-credential"))
    assert one.blocking and one.severity == "high" and "=" in one.snippet
    assert not (tmp_path / ".semgrepignore").exists()  # cleaned up after the run


def test_every_rule_has_test_cases():
    for rules_file in semgrep.rule_files():
        ids = re.findall(r"^\s+- id: ([\w-]+)", rules_file.read_text(), flags=re.M)
        tests = next(RULES.glob(rules_file.stem + ".*[!l]"))
        covered = {rule for rule, _ in annotated(tests)}
        assert set(ids) == covered, set(ids) ^ covered


def test_bandit_finds_shell_injection(tmp_path):
    (tmp_path / "tool.py").write_text(
        "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"
    )
    result = bandit.run(tmp_path)
    hits = [f for f in result.findings if f.rule_id.startswith("B602")]
    assert hits and hits[0].line == 4 and hits[0].blocking


def test_bandit_without_python_is_skipped_not_failed(tmp_path):
    (tmp_path / "main.go").write_text("package main\n")
    assert bandit.run(tmp_path).stats["skipped"] == "no Python files"


def test_licence_matches_mismatches_and_missing(tmp_path):
    (tmp_path / "LICENSE").write_text(APACHE)
    assert licence.run(tmp_path, declared="Apache-2.0").findings == []
    mismatch = licence.run(tmp_path, declared="MIT").findings
    assert [f.rule_id for f in mismatch] == ["licence-mismatch"] and mismatch[0].blocking
    (tmp_path / "LICENSE").unlink()
    assert licence.run(tmp_path, declared="MIT").findings[0].rule_id == "licence-file-missing"


def test_manifest_checks_flag_missing_fields_and_foreign_source(tmp_path):
    (tmp_path / "plugin.json").write_text(json.dumps({"id": "com.other", "version": "1.0.0"}))
    result = manifest.run(tmp_path, manifest={"id": "com.mine", "version": "1.0.0"})
    rules = {f.rule_id for f in result.findings}
    assert {"min-server-version-missing", "support-url-missing", "source-id-mismatch"} <= rules
    assert "no-components" in rules


def test_missing_scanner_binary_is_a_failed_scanner(tmp_path, settings):
    settings.CERTIFICATION_SCANNER_PATHS = {"semgrep": str(tmp_path / "no-such-semgrep")}
    with pytest.raises(ScannerError, match="not installed"):
        semgrep.run(tmp_path)


def test_garbage_scanner_output_is_a_failed_scanner(tmp_path, settings):
    fake = tmp_path / "semgrep"
    fake.write_text("#!/bin/sh\necho 'this is not json'\nexit 1\n")
    fake.chmod(0o755)
    settings.CERTIFICATION_SCANNER_PATHS = {"semgrep": str(fake)}
    with pytest.raises(ScannerError, match="not the expected JSON"):
        semgrep.run(tmp_path)


BAD_GO = 'package main\n\nimport "os/exec"\n\nfunc run(c string) {\n\texec.Command(c).Run()\n}\n'


def test_scan_task_stores_findings_once_even_when_run_twice(submit):
    s = force_status(submit(source=_source(**{"server/run.go": BAD_GO})), Status.RELEASE_REVIEW)
    runs = {r.tool: r for r in scans_start(submission=s)}
    scan_execute(scan_id=runs["semgrep"].pk, task_id="t1")
    scan_execute(scan_id=runs["semgrep"].pk, task_id="t1")  # redelivered: no duplicates
    run = ScanRun.objects.get(pk=runs["semgrep"].pk)
    assert run.status == JobStatus.SUCCEEDED
    findings = list(Finding.objects.filter(scan=run))
    assert [(f.rule_id, f.file, f.line) for f in findings] == [
        ("go-exec-non-constant", "server/run.go", 6)
    ]
    assert findings[0].snippet.strip() == "exec.Command(c).Run()"


def test_failing_scanner_marks_the_run_failed_with_its_error(submit, settings, tmp_path):
    settings.CERTIFICATION_SCANNER_PATHS = {"bandit": str(tmp_path / "missing-bandit")}
    s = force_status(submit(source=_source(**{"tool.py": "print(1)\n"})), Status.RELEASE_REVIEW)
    runs = {r.tool: r for r in scans_start(submission=s)}
    scan_execute(scan_id=runs["bandit"].pk, task_id="t")
    run = ScanRun.objects.get(pk=runs["bandit"].pk)
    assert run.status == JobStatus.FAILED and "not installed" in run.error
    assert not Finding.objects.filter(scan=run).exists()


def _source(**extra):
    from certification.services import SourceInput

    return SourceInput(archive=make_source(**extra), filename="src.tar.gz")


def test_scan_source_command_gives_the_same_findings(tmp_path, capsys):
    (tmp_path / "run.go").write_text(BAD_GO)
    (tmp_path / "LICENSE").write_text(MIT)
    with pytest.raises(SystemExit) as exit_info:
        call_command("scan_source", str(tmp_path), "--format", "json", "--licence", "MIT")
    assert exit_info.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert [(f["rule_id"], f["line"]) for f in out["findings"]] == [("go-exec-non-constant", 6)]
    assert out["errors"] == []


def test_scan_source_text_output_on_a_clean_archive(tmp_path, capsys):
    archive = tmp_path / "src.tar.gz"
    archive.write_bytes(make_source())
    call_command("scan_source", str(archive), "--licence", "Apache-2.0")
    out = capsys.readouterr().out
    assert "0 blocking" in out and "0 failed" in out


def test_scan_tree_returns_scanner_errors_instead_of_no_findings(tmp_path, settings):
    settings.CERTIFICATION_SCANNER_PATHS = {"semgrep": str(tmp_path / "nope")}
    results = scanners.scan_tree(tmp_path, tools=("semgrep",))
    assert isinstance(results[0], ScannerError)


def test_submitted_code_cannot_hide_from_semgrep(tmp_path):
    (tmp_path / ".semgrepignore").write_text("*.go\n")
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / ".semgrepignore").write_text("*\n")
    (tmp_path / "server" / "run.go").write_text(
        BAD_GO.replace("exec.Command(c).Run()", "exec.Command(c).Run() // nosemgrep")
    )
    result = semgrep.run(tmp_path)
    assert [(f.rule_id, f.file) for f in result.findings] == [
        ("go-exec-non-constant", "server/run.go")
    ]


def test_submitted_python_cannot_silence_bandit(tmp_path):
    (tmp_path / ".bandit").write_text("[bandit]\nskips: B602\n")
    (tmp_path / "tool.py").write_text(
        "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)  # nosec\n"
    )
    result = bandit.run(tmp_path)
    assert any(f.rule_id.startswith("B602") for f in result.findings)
