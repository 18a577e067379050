"""The emulator without sockets: a ``requests.Session`` stand-in that hands each request to
the emulator's own request processing (routing, discovery validation, state) in-process.

For tests that make thousands of calls (hostile inputs): the HTTP layer is already covered
by every other test, so skipping it here changes nothing but the time. Faults are not applied.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from tests.emulator.server import CIDict, GoogleEmulator, RecordedRequest, _parse_body


class InProcessSession:
    def __init__(self, emulator: GoogleEmulator) -> None:
        self._emulator = emulator

    def request(self, method: str, url: str, *, params: Any = None, json: Any = None,
                headers: dict | None = None, **_: Any) -> requests.Response:
        prepared = requests.Request(method, url, params=params, json=json,
                                    headers=headers).prepare()
        split = urlsplit(prepared.url)
        raw = prepared.body or b""
        raw = raw.encode() if isinstance(raw, str) else raw
        query = parse_qs(split.query, keep_blank_values=True)
        cased = CIDict(list(prepared.headers.items()))
        body, body_error = _parse_body(raw, cased.get("Content-Type", ""))
        record = RecordedRequest(method, unquote(split.path), split.path, query, cased, body, raw)
        self._emulator._record(record)
        status, out, out_headers = self._emulator._process(
            method, split.path, query, body, body_error, cased, record)
        record.status = status
        return _response(status, out, out_headers)


def _response(status: int, body: Any, headers: dict[str, str]) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    if body is None or status == 204:
        response._content = b""
    elif isinstance(body, bytes | str):
        response._content = body.encode() if isinstance(body, str) else body
    else:
        response._content = json.dumps(body).encode()
    response.headers = CaseInsensitiveDict(headers)
    return response
