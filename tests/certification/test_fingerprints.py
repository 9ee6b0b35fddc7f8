import json
import subprocess

from django.core.management import call_command

from certification import fingerprints, review
from certification.selectors import basic_review
from certification.services import SourceInput
from tests.certification.conftest import make_archive, source_files
from tests.conftest import require_shared

TEMPLATE_V1 = {
    "Makefile": "all:\n\tgo build ./...\n",
    "server/plugin.go": "package main\n\ntype Plugin struct {\n\tplugin.MattermostPlugin\n}\n",
    "README.md": "# Plugin Starter Template\n\nStart here.\n",
    "assets/icon.png": b"\x89PNG\r\n\x1a\n\0\0binary",
}
TEMPLATE_V2 = {
    **TEMPLATE_V1,
    "Makefile": "all:\n\tgo build ./...\n\ntest:\n\tgo test ./...\n",
}


def _git(repo, *args):
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def _write(root, files):
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def test_builder_reads_every_version_in_git_history(tmp_path):
    repo = tmp_path / "template"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "master")
    _write(repo, TEMPLATE_V1)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "v1")
    _write(repo, TEMPLATE_V2)
    _git(repo, "commit", "-q", "-am", "v2")
    out = tmp_path / "fp.json"
    call_command("build_template_fingerprints", str(repo), "--output", str(out))
    data = json.loads(out.read_text())
    assert data["normalisation"] == fingerprints.NORMALISATION
    assert len(data["files"]["Makefile"]["sha256"]) == 2  # both versions
    assert data["files"]["assets/icon.png"]["normalised_sha256"] == []  # binary: bytes only
    assert fingerprints.line_hash("test:") in data["files"]["Makefile"]["line_hashes"]


def test_builder_round_trip_hides_template_files_and_lines(tmp_path):
    archive = tmp_path / "template.tar.gz"
    archive.write_bytes(make_archive(TEMPLATE_V2, top="mattermost-plugin-starter-template-main"))
    out = tmp_path / "fp.json"
    call_command("build_template_fingerprints", str(archive), "--output", str(out))
    prints = fingerprints.load(out)
    plugin = {
        "Makefile": "all:\r\n\tgo build ./...\r\n\ntest:\n   go test ./...\n",  # CRLF, spaces
        "server/plugin.go": TEMPLATE_V1["server/plugin.go"] + "\nfunc (p *Plugin) Hello() {}\n",
        "server/weather.go": 'package main\n\nfunc forecast() string { return "sun" }\n',
        "assets/icon.png": TEMPLATE_V1["assets/icon.png"],
    }
    view = review.template_view(
        [(k, v if isinstance(v, bytes) else v.encode()) for k, v in plugin.items()], prints
    )
    assert view.hidden == ["Makefile", "assets/icon.png"]
    shown = {f.path: f for f in view.shown}
    assert shown["server/weather.go"].status == "new"
    changed = shown["server/plugin.go"]
    assert changed.status == "changed"
    assert [h.lines for h in changed.hunks] == [["func (p *Plugin) Hello() {}"]]
    assert changed.hunks[0].start == 7 and changed.template_lines_hidden == 4


def test_real_starter_template_fingerprints_hide_boilerplate(submit, core, settings):
    real = require_shared("data/starter-template/fingerprints.json")
    settings.STARTER_TEMPLATE_FINGERPRINTS = str(real)
    prints = fingerprints.load(real)
    # An empty .gitkeep is in every template version; the plugin's own code is not.
    files = {**source_files(), "assets/.gitkeep": ""}
    s = submit(source=SourceInput(archive=make_archive(files), filename="s.tar.gz"))
    view = basic_review(submission=s)
    assert view["fingerprints_configured"] and "starter-template" in view["fingerprints"]
    assert "assets/.gitkeep" in view["hidden_template_files"]
    assert {f["path"] for f in view["files"]} >= {"server/main.go"}
    main_go = next(f for f in view["files"] if f["path"] == "server/main.go")
    # server/main.go is a template path: its template lines ("package main", "func main() {")
    # are hidden and only the plugin's own lines remain.
    assert prints.entry("server/main.go") is not None
    assert main_go["status"] == "changed" and main_go["template_lines_hidden"] >= 3
    shown = [line.strip() for h in main_go["hunks"] for line in h["lines"]]
    assert "package main" not in shown


def test_recertification_shows_the_diff_against_the_certified_source(submit, developer):
    from certification.models import Submission
    from certification.workflow import Status
    from tests.certification.conftest import make_bundle, make_source

    first = submit()
    Submission.objects.filter(pk=first.pk).update(
        status=Status.CERTIFIED, certified_at="2026-01-01T00:00Z"
    )
    second = submit(
        version="1.1.0",
        bundle=make_bundle(version="1.1.0"),
        source=SourceInput(
            archive=make_source(version="1.1.0", **{"server/new.go": "package main\n"}),
            filename="s.tgz",
        ),
    )
    assert second.recertifies_id == first.pk
    view = basic_review(submission=second)["recertification"]
    by_path = {f["path"]: f for f in view["files"]}
    assert by_path["server/new.go"]["status"] == "new"
    assert '+  "version": "1.1.0"' in by_path["plugin.json"]["diff"]
    assert "server/main.go" not in by_path  # unchanged since the certified release
