"""Start ``python -m main`` as its own process group the way a plugin host does, and stop it.

Shared by the e2e tests that run the plugin outside ``PluginProcess`` (the packaged plugin
serving ``/health``, remote debugging over TCP).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

LAUNCH_LOGS: list[Path] = []  # the output of every plugin started here (secret scan)


def environ_without(*prefixes: str) -> dict[str, str]:
    """``os.environ`` minus the variables whose names start with one of ``prefixes``."""
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL it if it is still there after 10 s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@contextlib.contextmanager
def running_plugin(
    python: str, cwd: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen]:
    """``python -m main`` in ``cwd``, stdout and stderr to ``log``; stopped on exit."""
    LAUNCH_LOGS.append(log)
    with open(log, "wb") as out:
        plugin = subprocess.Popen([python, "-m", "main"], cwd=cwd, env=env,
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        yield plugin
    finally:
        stop_process_group(plugin)
