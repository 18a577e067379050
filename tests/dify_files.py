"""Dify's file service as a plugin sees it: a file parameter is a dict whose `url` the SDK's
`File.blob` fetches (dify_plugin/file/file.py; Dify builds the dict in api/core/file/models.py
`File.to_plugin_parameter`, with a signed /files/<id>/file-preview URL)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from tests.emulator.server import QuietHTTPServer


class FileServer:
    """Stands in for Dify's file service: GET /files/<name>/file-preview?...&sign=..."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requested: list[str] = []  # every path asked for
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requested.append(self.path)
                name = self.path.split("/")[2]
                body = outer.files.get(name)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args) -> None:
                pass

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> FileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def parameter(self, name: str, content: bytes) -> dict:
        """What Dify sends for a file variable (api/core/file/models.py to_plugin_parameter)."""
        self.files[name] = content
        port = self.server.server_address[1]
        return {"dify_model_identity": "__dify__file__", "mime_type": "text/calendar",
                "filename": name, "extension": ".ics", "size": len(content),
                "type": "document",
                "url": f"http://127.0.0.1:{port}/files/{name}/file-preview?timestamp=1&"
                       "nonce=n&sign=s"}
