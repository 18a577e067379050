"""``POST /batch/calendar/v3``: Google's multipart/mixed batch of Calendar requests."""

from __future__ import annotations

import json
import re
import secrets
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import ApiError, envelope

if TYPE_CHECKING:
    from .server import CIDict, GoogleEmulator

BATCH_PATH = "/batch/calendar/v3"
# "You're limited to 1000 calls in a single batch request" (Calendar API guide, "Sending batch
# requests", https://developers.google.com/calendar/api/guides/batch); the plugin sends 50.
MAX_BATCH = 1000


def _split_head(text: str) -> tuple[str, str]:
    m = re.search(r"\r?\n\r?\n", text)
    if not m:
        return text, ""
    return text[: m.start()], text[m.end():]


def _headers(block: str) -> dict[str, str]:
    out = {}
    for line in block.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def handle(emu: GoogleEmulator, raw: bytes, headers: CIDict) -> tuple[int, Any, dict[str, str]]:
    from .server import CIDict, RecordedRequest, _parse_body

    ctype = headers.get("Content-Type", "")
    m = re.search(r'boundary="?([^";]+)"?', ctype)
    if "multipart/mixed" not in ctype.lower() or not m:
        raise ApiError(400, "badRequest", "Bad Request")
    boundary = m.group(1)
    text = raw.decode("utf-8", "replace")
    parts = [p for p in text.split("--" + boundary)[1:] if not p.startswith("--")]
    if len(parts) > MAX_BATCH:
        raise ApiError(400, "invalid", f"A batch request cannot contain more than {MAX_BATCH} "
                       "requests.")
    out_boundary = "batch_" + secrets.token_hex(12)
    chunks = []
    for part in parts:
        part_head, http_text = _split_head(part.lstrip("\r\n"))
        content_id = _headers(part_head).get("Content-ID", "")
        req_head, req_body = _split_head(http_text)
        lines = req_head.splitlines()
        if not lines:
            continue
        verb, target, *_ = lines[0].split(" ")
        inner_headers = CIDict({**{"Authorization": headers.get("Authorization") or ""},
                                **_headers("\n".join(lines[1:]))})
        split = urlsplit(target)
        raw_path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        body_bytes = req_body.rstrip("\r\n").encode()
        body, body_error = _parse_body(body_bytes, inner_headers.get("Content-Type",
                                                                     "application/json"))
        rec = RecordedRequest(verb, unquote(raw_path), raw_path, query, inner_headers, body,
                              body_bytes, batch_part=True)
        emu._record(rec)
        fault = emu.faults.take(verb, rec.path, raw_path)
        if fault is not None and fault.status is not None and not fault.after_processing:
            status, out, out_headers = fault.status, envelope(fault.status, fault.reason,
                                                              fault.message), {}
        else:
            status, out, out_headers = emu._process(verb, raw_path, query, body, body_error,
                                                    inner_headers, rec)
            if fault is not None and fault.status is not None:
                status, out = fault.status, envelope(fault.status, fault.reason, fault.message)
                out_headers = {}
        if fault is not None and fault.status is not None and fault.retry_after is not None:
            out_headers = {**out_headers, "Retry-After": str(fault.retry_after)}
        rec.status = status
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        payload = "" if out is None else json.dumps(out, indent=2)
        resp = [f"HTTP/1.1 {status} {reason}"]
        if payload:
            resp.append("Content-Type: application/json; charset=UTF-8")
        resp += [f"{k}: {v}" for k, v in out_headers.items()]
        resp.append("")
        resp.append(payload)
        cid = content_id.strip("<>")
        chunks.append(
            f"--{out_boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: <response-{cid}>\r\n\r\n" + "\r\n".join(resp) + "\r\n"
        )
    body_text = "".join(chunks) + f"--{out_boundary}--\r\n"
    return 200, body_text.encode(), {"Content-Type": f"multipart/mixed; boundary={out_boundary}"}
