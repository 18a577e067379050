"""The marketplace's install check on a .difypkg: unpack it, install `requirements.txt` into a
fresh Python 3.12 venv, start the plugin with INSTALL_METHOD=serverless and expect `200 OK` from
GET /health. Used by scripts/check_package.py --install and tests/e2e/test_package.py.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.plugin_launch import environ_without, running_plugin  # noqa: E402

HEALTH_TIMEOUT = 45


def _base_python() -> str:
    venv_python = ROOT / ".venv" / "bin" / "python"
    return os.path.realpath(venv_python if venv_python.exists() else sys.executable)


def _uv() -> str | None:
    for candidate in (ROOT / ".venv" / "bin" / "uv", shutil.which("uv")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def install(unpacked: Path, venv: Path) -> list[str]:
    python = venv / "bin" / "python"
    uv = _uv()
    if uv:
        create = [uv, "venv", "--quiet", "--python", _base_python(), str(venv)]
        install_cmd = [uv, "pip", "install", "--quiet", "--python", str(python),
                       "-r", str(unpacked / "requirements.txt")]
    else:
        create = [_base_python(), "-m", "venv", str(venv)]
        install_cmd = [str(python), "-m", "pip", "install", "--quiet", "-r",
                       str(unpacked / "requirements.txt")]
    for cmd in (create, install_cmd):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            return [f"`{' '.join(cmd[:3])} ...` failed: {proc.stderr.strip()[-500:]}"]
    return []


def probe_health(python: Path, unpacked: Path, workdir: Path) -> list[str]:
    port = _free_port()
    env = environ_without("REMOTE_INSTALL", "SERVERLESS_", "VIRTUAL_ENV", "PYTHON",
                          "INSTALL_METHOD", "GOOGLE_CALENDAR")
    env.update({"INSTALL_METHOD": "serverless", "SERVERLESS_HOST": "127.0.0.1",
                "SERVERLESS_PORT": str(port), "PYTHONUNBUFFERED": "1"})
    log = workdir / "plugin.log"
    with running_plugin(str(python), unpacked, env, log) as plugin:
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline and plugin.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = (r.status, r.read().decode())
            except OSError:
                time.sleep(0.2)
                continue
            return [] if body == (200, "OK") else [f"/health answered {body}"]
        tail = log.read_text(errors="replace")[-1500:]
        return [f"no /health answer (exit code {plugin.poll()}): {tail}"]


def install_and_probe(package: Path) -> list[str]:
    """Problems found (empty: the package installs and serves /health)."""
    with tempfile.TemporaryDirectory(prefix="difypkg-install-") as tmp:
        workdir = Path(tmp)
        unpacked = workdir / "plugin"
        with zipfile.ZipFile(package) as zf:
            unsafe = [n for n in zf.namelist() if n.startswith("/") or ".." in Path(n).parts]
            if unsafe:
                return [f"unsafe paths in the package: {unsafe}"]
            zf.extractall(unpacked)
        problems = install(unpacked, workdir / "venv")
        return problems or probe_health(workdir / "venv" / "bin" / "python", unpacked, workdir)
