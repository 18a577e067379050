"""The .difypkg: built like Dify's packager, contains what Dify needs and nothing else, and
starts from a clean environment (the marketplace's install check: serverless `/health`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.e2e.plugin_launch import environ_without, running_plugin
from tests.plugin_process import REPO_ROOT

REPO = Path(REPO_ROOT)
PACKAGER = REPO / "scripts" / "package.py"
REQUIRED = [
    "manifest.yaml",
    "main.py",
    "requirements.txt",
    "PRIVACY.md",
    "README.md",
    "provider/google_calendar.yaml",
    "provider/google_calendar.py",
]
REQUIRED_DIRS = ["provider/", "tools/", "_assets/"]
FORBIDDEN_PARTS = {".venv", "venv", "__pycache__", "tests", "scripts", ".git", "dist", ".ci",
                   ".pytest_cache", ".ruff_cache", ".hypothesis"}
FORBIDDEN_FILES = {".env", "pyproject.toml", "uv.lock", ".python-version"}


def _python312() -> str:
    venv_python = REPO / ".venv" / "bin" / "python"
    return str(venv_python if venv_python.exists() else sys.executable)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "google_calendar.difypkg"
    proc = subprocess.run(
        [_python312(), str(PACKAGER), "--root", str(REPO), "--output", str(out)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert proc.returncode == 0, f"packaging failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def unpacked(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(package) as zf:
        for name in zf.namelist():
            assert not name.startswith("/") and ".." not in Path(name).parts, name
        zf.extractall(target)
    return target


def test_package_has_what_dify_needs(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
    assert names == sorted(names), "entries are not in deterministic order"
    missing = [f for f in REQUIRED if f not in names]
    assert not missing, f"package lacks {missing}"
    for prefix in REQUIRED_DIRS:
        assert any(n.startswith(prefix) for n in names), f"package has nothing under {prefix}"
    manifest = yaml.safe_load(zipfile.ZipFile(package).read("manifest.yaml"))
    provider = yaml.safe_load(zipfile.ZipFile(package).read("provider/google_calendar.yaml"))
    for icon in (manifest.get("icon"), provider["identity"].get("icon")):
        assert f"_assets/{icon}" in names, f"icon {icon} not packaged"
    for tool in provider.get("tools") or []:
        assert tool in names, f"tool declaration {tool} not packaged"
        source = yaml.safe_load(zipfile.ZipFile(package).read(tool))["extra"]["python"]["source"]
        assert source in names, f"tool source {source} not packaged"


def test_package_leaves_out_dev_files_and_secrets(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
    leaked = [
        n for n in names
        if set(Path(n).parts) & FORBIDDEN_PARTS
        or Path(n).name in FORBIDDEN_FILES
        or (Path(n).name.startswith(".env") and Path(n).name != ".env.example")
        or n.endswith((".pyc", ".difypkg"))
    ]
    assert not leaked, f"package contains dev-only files: {leaked}"


def test_package_is_small(package: Path) -> None:
    size = package.stat().st_size
    assert size < 1024 * 1024, f"package is {size / 1024:.0f} KiB; expected well under 1 MB"


def test_packager_is_deterministic(package: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.difypkg"
    subprocess.run(
        [_python312(), str(PACKAGER), "--root", str(REPO), "--output", str(again)],
        check=True, capture_output=True, timeout=120, cwd=REPO,
    )
    assert again.read_bytes() == package.read_bytes()


def _uv() -> list[str] | None:
    for candidate in (REPO / ".venv" / "bin" / "uv", shutil.which("uv")):
        if candidate:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run([str(candidate), "--version"], check=True,
                               capture_output=True, timeout=30)
                return [str(candidate)]
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_package_installs_and_serves_health_from_clean_env(unpacked: Path, tmp_path: Path) -> None:
    """What the marketplace does: fresh venv, requirements.txt, start, GET /health."""
    uv = _uv()
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    base = str(Path(os.path.realpath(_python312())))
    if uv:
        subprocess.run([*uv, "venv", "--quiet", "--python", base, str(venv)],
                       check=True, capture_output=True, timeout=120)
        install = [*uv, "pip", "install", "--quiet", "--python", str(python),
                   "-r", str(unpacked / "requirements.txt")]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        install = [str(python), "-m", "pip", "install", "--quiet", "-r",
                   str(unpacked / "requirements.txt")]
    proc = subprocess.run(install, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"installing requirements.txt failed:\n{proc.stderr}"

    port = _free_port()
    env = environ_without("REMOTE_INSTALL", "SERVERLESS_", "VIRTUAL_ENV", "PYTHON")
    env.update({"INSTALL_METHOD": "serverless", "SERVERLESS_HOST": "127.0.0.1",
                "SERVERLESS_PORT": str(port), "PYTHONUNBUFFERED": "1"})
    log = tmp_path / "plugin.log"
    with running_plugin(str(python), unpacked, env, log) as plugin:
        deadline = time.monotonic() + 45
        body = None
        while time.monotonic() < deadline and plugin.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = (r.status, r.read().decode())
                    break
            except OSError:
                time.sleep(0.2)
        assert body is not None, (
            f"no /health answer (exit code {plugin.poll()}):\n{log.read_text(errors='replace')}"
        )
        assert body == (200, "OK")
