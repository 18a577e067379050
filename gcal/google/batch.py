"""Google's batch endpoint: many Calendar calls in one HTTP round trip.

Format and limits: Google's guide "Sending batch requests" (Calendar API; multipart/mixed,
one `application/http` part per call, at most 50 calls per batch, answers matched by
Content-ID, calls possibly executed in any order). Calls that Google answered with the
transport's retryable failures (429, rate-limit 403, any 5xx) are sent again in a smaller
batch, after `Retry-After` when Google gave one, else the transport's backoff (bounded).
Unlike the transport, a batch repeats a POST after a 5xx too: an answer to a call whose earlier
try may have been applied (a 5xx other than 503, or a lost batch answer) is marked
`after_lost_answer`, so a caller can read a 409 "duplicate" as its own first try having landed.
Any other failure is returned to the caller with the call.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode

from gcal.errors import GoogleCalendarError, TransportError, error_from_response
from gcal.google.transport import CalendarTransport, RetryPolicy, may_have_landed, retryable

logger = logging.getLogger(__name__)

MAX_BATCH_CALLS = 50
_API_PREFIX = "/calendar/v3"
_MAX_PARALLEL = 4
_BOUNDARY = re.compile(r'boundary=("[^"]+"|[^;\s]+)', re.IGNORECASE)


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # below /calendar/v3, already URL-encoded (gcal.google.transport.calendar_path)
    params: dict = field(default_factory=dict)
    body: dict | None = None

    def http_text(self) -> str:
        query = urlencode({k: _query_value(v) for k, v in self.params.items() if v is not None})
        target = _API_PREFIX + self.path + (f"?{query}" if query else "")
        lines = [f"{self.method} {target} HTTP/1.1"]
        if self.body is None:
            return "\r\n".join([*lines, "", ""])
        payload = json.dumps(self.body, ensure_ascii=False)
        lines.append("Content-Type: application/json; charset=UTF-8")
        return "\r\n".join([*lines, "", payload])


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict | None = None
    error: GoogleCalendarError | None = None
    after_lost_answer: bool = False  # an earlier try of this call may have been applied

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _query_value(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def run_batch(
    transport: CalendarTransport,
    calls: Sequence[Call],
    *,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Answer]:
    """One Answer per call, in order. Chunks of 50 go out concurrently (one round trip for up
    to 200 calls); failed calls are retried at most `max_attempts` times."""
    if not calls:
        return []
    retry = retry or RetryPolicy.from_env()
    answers: list[Answer | None] = [None] * len(calls)
    pending = list(range(len(calls)))
    landed_before: set[int] = set()
    for attempt in range(1, retry.max_attempts + 1):
        chunks = [pending[i:i + MAX_BATCH_CALLS] for i in range(0, len(pending),
                                                                 MAX_BATCH_CALLS)]
        results = _send_all(transport, [[calls[i] for i in chunk] for chunk in chunks])
        for chunk, result in zip(chunks, results, strict=True):
            for index, answer in zip(chunk, result, strict=True):
                landed = index in landed_before or answer.after_lost_answer
                answers[index] = dataclasses.replace(answer, after_lost_answer=landed)
        pending = [i for i in pending if _retryable(answers[i])]
        landed_before |= {i for i in pending if _may_have_landed(answers[i])}
        if not pending or attempt == retry.max_attempts:
            break
        logger.info("batch: %d calls failed on Google's side or were rate-limited, retrying",
                    len(pending))
        sleep(_pause(retry, attempt, [answers[i] for i in pending]))
    return [a for a in answers if a is not None]


def _pause(retry: RetryPolicy, attempt: int, failed: list[Answer | None]) -> float:
    asked = [a.error.retry_after for a in failed
             if a is not None and a.error is not None and a.error.retry_after is not None]
    return min(max(asked), retry.max_delay) if asked else retry.backoff(attempt)


def _send_all(transport: CalendarTransport, chunks: list[list[Call]]) -> list[list[Answer]]:
    if len(chunks) == 1:
        return [_send(transport, chunks[0])]
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, len(chunks))) as pool:
        return list(pool.map(lambda chunk: _send(transport, chunk), chunks))


def _retryable(answer: Answer | None) -> bool:
    """The transport's rule for an idempotent request: every call of a batch may be repeated."""
    return answer is not None and retryable(answer.status, answer.error, idempotent=True)


def _may_have_landed(answer: Answer | None) -> bool:
    return answer is not None and answer.error is not None and may_have_landed(answer.error)


def _send(transport: CalendarTransport, calls: list[Call]) -> list[Answer]:
    boundary = "batch_" + secrets.token_hex(12)
    parts = [
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <item{i}>\r\n\r\n"
        f"{call.http_text()}\r\n"
        for i, call in enumerate(calls)
    ]
    payload = ("".join(parts) + f"--{boundary}--\r\n").encode()
    reply = transport.batch(payload, f"multipart/mixed; boundary={boundary}")
    by_id = parse_batch_response(reply.content_type, reply.body)
    missing = Answer(0, error=TransportError(
        "Google Calendar's batch answer lacked this call; it may not have run. Try again."))
    answers = [by_id.get(f"item{i}", missing) for i in range(len(calls))]
    if reply.after_lost_answer:
        return [dataclasses.replace(a, after_lost_answer=True) for a in answers]
    return answers


def parse_batch_response(content_type: str, body: bytes) -> dict[str, Answer]:
    """Answers keyed by the Content-ID of the call they answer (`response-<id>`).

    A plain split on the boundary: the standard library's email parser costs ~100 ms for a
    batch of 50 answers, more than the round trip it saves."""
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise TransportError("Google Calendar's batch answer has no multipart boundary. Try "
                             "again in a moment.")
    delimiter = b"--" + match.group(1).strip('"').encode()
    answers = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, payload = _split_head(part.lstrip(b"\r\n"))
        headers = _headers(head)
        content_id = headers.get("content-id", "").strip("<> ").removeprefix("response-")
        answers[content_id] = _http_answer(payload)
    return answers


def _split_head(raw: bytes) -> tuple[bytes, bytes, bytes]:
    return raw.replace(b"\r\n", b"\n").partition(b"\n\n")


def _headers(block: bytes) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in block.decode("latin-1").split("\n") if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _http_answer(raw: bytes) -> Answer:
    head, _, body = _split_head(raw)
    status_line, _, header_block = head.partition(b"\n")
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError):
        return Answer(0, error=TransportError("Google Calendar sent an unreadable batch part."))
    headers = _headers(header_block)
    if 200 <= status < 300:
        try:
            decoded = json.loads(body) if body.strip() else None
        except ValueError:
            decoded = None
        return Answer(status, decoded if isinstance(decoded, dict) else None)
    return Answer(status, error=error_from_response(status, body, headers))
