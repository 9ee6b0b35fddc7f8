"""The parts of Mattermost's ``Activate`` that do not need a process: checks and webapp unpack."""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.bundle import webapp_bundle_hash
from common.errors import InvalidInput
from common.versions import parse_version

_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class ActivationError(RuntimeError):
    """Activation failed; the message is the ``error`` of the plugin's status."""


def platform_key() -> str:
    """``<GOOS>-<GOARCH>`` of this machine, the key of ``server.executables``."""
    system = platform.system().lower()
    machine = platform.machine().lower()
    return f"{system}-{_ARCHES.get(machine, machine)}"


def check_server_version(manifest: dict[str, Any], server_version: str) -> None:
    required = manifest.get("min_server_version") or ""
    if not required:
        return
    plugin_id = manifest.get("id", "")
    try:
        needed = parse_version(required)
    except InvalidInput as exc:
        raise ActivationError(
            f"invalid min_server_version {required!r} in manifest: {plugin_id}"
        ) from exc
    if parse_version(server_version) < needed:
        raise ActivationError(f"plugin requires Mattermost {required}: {plugin_id}")


def has_server(manifest: dict[str, Any]) -> bool:
    return isinstance(manifest.get("server"), dict) or isinstance(manifest.get("backend"), dict)


def has_webapp(manifest: dict[str, Any]) -> bool:
    return isinstance(manifest.get("webapp"), dict)


def _relative_inside(base: Path, relative: str, what: str) -> Path:
    """Join a manifest path under ``base`` the way Mattermost sanitises it, then contain it."""
    cleaned = os.path.normpath("/" + relative.replace("\\", "/")).lstrip("/")
    if not cleaned or cleaned == ".":
        raise ActivationError(f"invalid {what} path {relative!r}")
    candidate = (base / cleaned).resolve()
    if not candidate.is_relative_to(base.resolve()):
        raise ActivationError(f"{what} path {relative!r} leaves the plugin directory")
    return candidate


def select_executable(manifest: dict[str, Any], plugin_dir: Path) -> Path:
    server = manifest.get("server") or {}
    executables = server.get("executables") or {}
    key = platform_key()
    relative = executables.get(key) or server.get("executable") or ""
    if not relative:
        # Deprecated ``backend.executable`` (before server 5.2).
        relative = (manifest.get("backend") or {}).get("executable") or ""
    if not relative:
        raise ActivationError(f"backend executable not found for environment: {key}")
    if not relative.startswith("/") and os.path.normpath(relative).startswith(".."):
        raise ActivationError(f"invalid backend executable path {relative!r}")
    path = _relative_inside(plugin_dir, relative, "backend executable")
    if not path.is_file():
        raise ActivationError(f"backend executable {relative!r} not found in the plugin bundle")
    return path


@dataclass(frozen=True)
class Command:
    """How to start a plugin's server part: argv and working directory (None: inherit)."""

    argv: tuple[str, ...]
    cwd: Path | None = None

    @property
    def path(self) -> Path:
        return Path(self.argv[-1])


#: Interpreters a Python plugin may ship, in Mattermost's lookup order (then PATH).
_PYTHON_CANDIDATES = (
    "venv/bin/python",
    "venv/bin/python3",
    ".venv/bin/python",
    ".venv/bin/python3",
)


def is_python_plugin(manifest: dict[str, Any], executable: Path) -> bool:
    runtime = str((manifest.get("server") or {}).get("runtime") or "")
    return runtime == "python" or executable.suffix == ".py"


def plugin_command(manifest: dict[str, Any], plugin_dir: Path) -> Command:
    """Go plugins: the executable itself, no arguments, cwd inherited. Python plugins (newest
    Mattermost: ``server.runtime == "python"`` or a ``.py`` executable): an interpreter from
    the plugin's own venv or PATH runs the script, with the plugin directory as cwd."""
    executable = select_executable(manifest, plugin_dir)
    if not is_python_plugin(manifest, executable):
        return Command((str(executable),))
    for candidate in _PYTHON_CANDIDATES:
        interpreter = plugin_dir / candidate
        if interpreter.is_file() and os.access(interpreter, os.X_OK):
            return Command((str(interpreter), str(executable)), cwd=plugin_dir)
    found = shutil.which("python3") or shutil.which("python")
    if found is None:
        raise ActivationError("python plugin: no python interpreter found")
    return Command((found, str(executable)), cwd=plugin_dir)


def unpack_webapp(manifest: dict[str, Any], plugin_dir: Path, client_dir: Path) -> str:
    """Copy the webapp folder to ``client_dir/<id>/`` with the hashed bundle name; return hash.

    Built beside the target and swapped in, so the static handler never serves a half copy.
    """
    plugin_id = manifest["id"]
    bundle_path = str((manifest.get("webapp") or {}).get("bundle_path") or "")
    cleaned = os.path.normpath(bundle_path) if bundle_path else ""
    if not cleaned or cleaned.startswith("."):
        raise ActivationError(f"unable to unpack webapp: invalid bundle path {bundle_path!r}")
    source = _relative_inside(plugin_dir, cleaned, "webapp bundle")
    if not source.is_file():
        raise ActivationError(f"unable to unpack webapp: bundle {bundle_path!r} not found")
    bundle_hash = webapp_bundle_hash(source)
    client_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{plugin_id}-", dir=client_dir))
    try:
        built = staging / "webapp"
        # Regular files and folders only: a link could point outside the plugin directory.
        shutil.copytree(source.parent, built, symlinks=True, ignore=_links)
        (built / source.name).rename(built / f"{plugin_id}_{bundle_hash}_bundle.js")
        target = client_dir / plugin_id
        old = staging / "old"
        if target.exists():
            target.rename(old)
        built.rename(target)
    except OSError as exc:
        raise ActivationError(f"unable to unpack webapp: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return bundle_hash


def _links(directory: str, names: list[str]) -> list[str]:
    return [name for name in names if Path(directory, name).is_symlink()]
