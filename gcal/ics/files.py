"""Fetching a file Dify hands to a tool (its signed file URL), bounded in size and time.

The SDK's `File.blob` would do it with a fresh httpx client per call (~60 ms of TLS set-up
on a busy host, no size limit); the shared keep-alive session streams and stops at the limit.
"""

from __future__ import annotations

import requests

from gcal.errors import InvalidInputError, TransportError
from gcal.google.transport import default_timeout, shared_session

_CHUNK = 64 * 1024


def download(url: str, *, limit: int, parameter: str = "file") -> bytes:
    """The bytes at `url`; InvalidInputError past `limit` bytes. Errors never show the URL
    (Dify signs it: the query is a credential)."""
    if not url.lower().startswith(("http://", "https://")):
        raise TransportError("Dify passed the file without a usable URL. Set FILES_URL (or "
                             "INTERNAL_FILES_URL) in Dify so plugins can fetch files.")
    try:
        with shared_session().get(url, stream=True, timeout=default_timeout()) as response:
            if response.status_code != 200:
                raise TransportError(_failed(f"HTTP {response.status_code}"))
            content = bytearray()
            for chunk in response.iter_content(_CHUNK):
                content.extend(chunk)
                if len(content) > limit:
                    raise InvalidInputError(parameter, f"the file is larger than {limit:,} "
                                            "bytes, the most that can be imported at once")
            return bytes(content)
    except requests.RequestException as exc:
        raise TransportError(_failed(type(exc).__name__)) from None


def _failed(problem: str) -> str:
    return (f"Could not download the file from Dify ({problem}). Check that the plugin can "
            "reach Dify's file URL (FILES_URL / INTERNAL_FILES_URL) and try again.")
