"""Fault injection: error responses, delays, dropped connections, raw bodies."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field


@dataclass
class Fault:
    """One injected fault.

    ``status``: HTTP status of the error answer (Google envelope built from ``reason`` and
    ``message``); ``None`` = no error answer (use with ``delay`` for a slow but normal answer).
    ``drop_connection``: close the socket without answering. ``after_processing``: perform
    the request first (writes are stored), then delay / drop / answer with the fault
    ("lost response"). ``raw_body``: send these exact bytes/text with ``content_type``.
    ``times``: number of matching requests affected; ``None`` = forever.
    """

    method: str | None = None
    path_regex: str = r".*"
    status: int | None = 503
    reason: str = "backendError"
    message: str | None = None
    retry_after: int | float | str | None = None
    delay: float = 0.0
    drop_connection: bool = False
    after_processing: bool = False
    raw_body: bytes | str | None = None
    content_type: str | None = None
    times: int | None = 1
    hits: int = field(default=0, init=False)

    def matches(self, method: str, path: str, raw_path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        rx = re.compile(self.path_regex)
        return bool(rx.search(path) or rx.search(raw_path))


class FaultSet:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str, raw_path: str) -> Fault | None:
        """Return (and consume one use of) the first matching fault."""
        with self._lock:
            for f in self._faults:
                if f.matches(method, path, raw_path):
                    f.hits += 1
                    if f.times is not None and f.hits >= f.times:
                        self._faults.remove(f)
                    return f
        return None

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)
