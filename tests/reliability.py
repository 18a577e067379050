"""Shared checks and figures for the fault, security, concurrency and hostile-input tests.

``record(kind, count)`` appends one JSON line to the file named by ``GCAL_RELIABILITY_LOG``
(nothing happens when it is unset); ``scripts/reliability`` sets it, runs those suites and
adds the lines up into its table, so every figure comes from a real run.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from gcal import errors as gcal_errors

LOG_ENV = "GCAL_RELIABILITY_LOG"
_lock = threading.Lock()


def record(kind: str, count: int = 1, **detail: str) -> None:
    path = os.environ.get(LOG_ENV)
    if not path or count <= 0:
        return
    line = json.dumps({"kind": kind, "count": count, **detail, "pid": os.getpid()})
    with _lock, open(path, "a", encoding="utf-8") as log:
        log.write(line + "\n")


@contextmanager
def recorded() -> Iterator[list[dict]]:
    """The entries ``record`` wrote inside the block (filled in when it ends); works whether or
    not scripts/reliability set a log, so tests can check that a figure is counted once."""
    path = os.environ.get(LOG_ENV)
    own = None
    if not path:
        own = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False)  # noqa: SIM115
        own.close()
        path = os.environ[LOG_ENV] = own.name
    start = os.path.getsize(path) if os.path.exists(path) else 0
    entries: list[dict] = []
    try:
        yield entries
    finally:
        with open(path, encoding="utf-8") as log:
            log.seek(start)
            entries.extend(json.loads(line) for line in log.read().splitlines() if line)
        if own is not None:
            del os.environ[LOG_ENV]
            os.unlink(own.name)


# One row each in scripts/reliability's table of fault classes, in this order.
FAULT_CLASSES = (
    "429", "403 rate limit", "403 quota", "5xx", "503 with Retry-After", "connection reset",
    "timeout", "malformed body", "lost create answer", "lost patch answer",
    "lost delete answer", "lost import answer", "401", "invalid_grant", "412", "409", "410",
    "partial multi-calendar failure",
)


def record_fault(fault_class: str, outcome: str) -> None:
    """One tool call that met ``fault_class`` and how it ended (``recovered``, ``one clear
    error (Type)``, ...); scripts/reliability groups them per class."""
    assert fault_class in FAULT_CLASSES, fault_class
    record("fault_class", 1, fault_class=fault_class, outcome=outcome)


def _subclasses(cls: type) -> set[type]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _subclasses(sub)
    return found


CORE_ERRORS = tuple(_subclasses(gcal_errors.GoogleCalendarError))
# What Dify may receive as error_type: our core errors, and the SDK errors the provider
# raises with a core error's message.
ERROR_TYPES = frozenset(
    {cls.__name__ for cls in CORE_ERRORS}
    | {"ToolProviderOAuthError", "ToolProviderCredentialValidationError"}
)


def clear_error_problem(error_type: str, message: str) -> str | None:
    """Why an error Dify received is not "one clear error", or None when it is."""
    if error_type not in ERROR_TYPES:
        return f"foreign error type {error_type!r}: {message[:300]!r}"
    if not message.strip() or "Traceback" in message or 'File "' in message:
        return f"message is empty or carries a traceback: {message[:300]!r}"
    return None


def leaks(secrets: set[str], *texts: Any) -> list[str]:
    """Which secrets appear in any of ``texts`` (str, bytes, or JSON-serialisable data)."""
    blob = "\n".join(_text(t) for t in texts)
    return sorted(s for s in secrets if s and s in blob)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    return json.dumps(value, default=repr, ensure_ascii=False)


MIN_SECRET_LENGTH = 8  # shorter test values ("x", "bad") would match ordinary words


def leaks_in_process_output(processes: Iterable[Any], secrets: set[str]) -> dict[Any, list[str]]:
    """pid -> the secrets found in anything that plugin process printed (logs, stderr)."""
    wanted = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
    found = {}
    for process in processes:
        leaked = leaks(wanted, process.output_text, process.logs)
        if leaked:
            found[process.pid] = leaked
    return found
