"""Downloading the import's file (gcal.ics.files): nothing inside the network is fetched or
told, and one download is bounded in time and bytes.

A local server redirects, trickles and bombs; a stub resolver maps test host names to
link-local, private and public addresses; a stub network carries the connections the plugin
allows to those addresses to the local server instead. Anything else the plugin tried would
meet the suite's loopback guard (tests/conftest.py) before a packet left.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gcal.errors import GoogleCalendarError, InvalidInputError, TransportError
from gcal.ics import files

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
SIGNED = "?timestamp=1733600000&nonce=abc&sign=xyz"
LIMIT = 1_000_000
PUBLIC = "93.184.216.34"
PRIVATE = "10.20.30.40"
NAMES = {
    "calendar.example": [PUBLIC],
    "dify.internal.test": [PRIVATE],
    "rebind.test": ["169.254.169.254"],
    "aws6.test": ["fd00:ec2::254"],
    "alibaba.test": ["100.100.100.200"],
    "mapped.test": ["::ffff:169.254.169.254"],
    "mixed.test": [PUBLIC, PRIVATE],
    "loopback.test": ["127.0.0.1"],
}


class Server:
    """Answers by path: /files/… an .ics, /redirect/<url>, /trickle, /trickle-chunked,
    /bomb, /big, /missing (404)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer.requests.append((self.path, dict(self.headers)))
                route = self.path.split("?")[0]
                if route.startswith("/redirect/"):
                    self._send(302, b"", Location=self.path[len("/redirect/"):])
                elif route.startswith("/trickle"):
                    self._trickle(chunked=route == "/trickle-chunked")
                elif route.startswith("/bomb"):
                    self._send(200, _bomb(), **{"Content-Encoding": "gzip"})
                elif route.startswith("/big"):
                    self._send(200, b"X" * (LIMIT + 10))
                elif route.startswith(("/files/", "/calendar.ics")):
                    self._send(200, ICS)
                else:
                    self._send(404, b"not here")

            def _send(self, status: int, body: bytes, **headers: str) -> None:
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _trickle(self, *, chunked: bool) -> None:
                self.send_response(200)
                self.send_header("Transfer-Encoding" if chunked else "Connection",
                                 "chunked" if chunked else "close")
                self.end_headers()
                if chunked:
                    self.wfile.write(b"ffff")  # a chunk-size line that never ends
                    self.wfile.flush()
                stop = time.monotonic() + 8
                try:
                    while time.monotonic() < stop:
                        self.wfile.write(b"0" if chunked else b"B")
                        self.wfile.flush()
                        time.sleep(0.05)
                except OSError:
                    pass
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.http.handle_error = lambda request, address: None  # clients hang up on purpose
        self.port = self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


_BOMB: list[bytes] = []


def _bomb() -> bytes:
    if not _BOMB:
        _BOMB.append(gzip.compress(b"\0" * 50_000_000, compresslevel=9))
    return _BOMB[0]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


@pytest.fixture
def network(server: Server, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stub DNS and a stub network: connections to the test's public and private addresses
    reach the local server; the list records every address the plugin connected to."""
    server.requests.clear()
    connected: list[str] = []

    def resolve(host: str, port: int) -> list[tuple]:
        if host not in NAMES:
            raise socket.gaierror(socket.EAI_NONAME, "unknown test host")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in NAMES[host]]

    def connect(address: tuple[str, int], timeout: float) -> socket.socket:
        connected.append(address[0])
        if address[0] in (PUBLIC, PRIVATE):
            address = ("127.0.0.1", server.port)
        return socket.create_connection(address, timeout=timeout)  # else: the guard decides

    monkeypatch.setattr(files, "resolve", resolve)
    monkeypatch.setattr(files, "connect", connect)
    return connected


def fetch(url: str, **kwargs: object) -> bytes:
    return files.download(url, limit=LIMIT, **kwargs)


def test_difys_signed_link_on_the_hosts_own_network_is_fetched(server, network):
    assert fetch(f"http://127.0.0.1:{server.port}/files/abc/file-preview{SIGNED}") == ICS
    assert fetch(f"http://dify.internal.test:{server.port}/files/abc/file-preview{SIGNED}") == ICS
    assert network == ["127.0.0.1", PRIVATE]
    [(_, headers), _] = server.requests
    assert headers["Accept-Encoding"] == "identity"
    assert headers["Host"] == f"127.0.0.1:{server.port}"
    assert server.requests[1][1]["Host"] == f"dify.internal.test:{server.port}"


def test_a_public_link_connects_to_the_address_that_was_checked(server, network):
    assert fetch(f"http://calendar.example:{server.port}/calendar.ics") == ICS
    assert network == [PUBLIC]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/calendar.ics",
    "http://loopback.test:{port}/calendar.ics",
    "http://dify.internal.test:{port}/calendar.ics",
    "http://dify.internal.test:{port}/files/abc/file-preview?timestamp=1&nonce=n",  # unsigned
    "http://[::1]:{port}/calendar.ics",
    "http://mixed.test:{port}/calendar.ics",
])
def test_a_plain_link_to_a_private_address_is_refused_unfetched(url, server, network):
    with pytest.raises(InvalidInputError) as refused:
        fetch(url.format(port=server.port))
    assert "private or loopback address" in str(refused.value)
    assert network == [] and server.requests == []


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/files/x/file-preview" + SIGNED,
    "http://rebind.test/files/x/file-preview" + SIGNED,
    "http://aws6.test/files/x/file-preview" + SIGNED,
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://alibaba.test/files/x/file-preview" + SIGNED,
    "http://mapped.test/files/x/file-preview" + SIGNED,
    "http://[fe80::1%25eth0]/files/x/file-preview" + SIGNED,
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata/files/x/file-preview" + SIGNED,
])
def test_link_local_and_metadata_are_never_fetched_even_for_signed_links(url, server, network):
    with pytest.raises(InvalidInputError) as refused:
        fetch(url)
    assert "metadata" in str(refused.value) or "link-local" in str(refused.value)
    assert network == [] and server.requests == []


@pytest.mark.parametrize("start", ["http://calendar.example:{port}/redirect/",
                                   "http://127.0.0.1:{port}/redirect/"])
def test_a_redirect_to_another_origin_is_not_followed(start, server, network):
    inside = f"http://127.0.0.1:{server.port + 1 if server.port < 65535 else 1}/files/a/b{SIGNED}"
    url = start.format(port=server.port) + inside
    if "127.0.0.1" in start:
        url += "&then=1" + SIGNED.replace("?", "&")
    with pytest.raises(GoogleCalendarError) as refused:
        fetch(url)
    assert "127.0.0.1" not in str(refused.value)
    assert len(server.requests) == 1  # the first hop only
    assert len(network) == 1


def test_a_redirect_within_the_origin_is_followed_and_checked(server, network):
    target = f"/files/abc/file-preview{SIGNED}"
    assert fetch(f"http://127.0.0.1:{server.port}/redirect/{target}") == ICS
    assert [path for path, _ in server.requests] == [f"/redirect/{target}", target]


def test_failures_of_a_plain_link_say_nothing_about_what_answered(server, network):
    messages = set()
    for url in (f"http://calendar.example:{server.port}/missing",  # HTTP 404
                f"http://calendar.example:{server.port}/redirect/http://x.test/",  # elsewhere
                "http://nowhere.test/calendar.ics"):  # does not resolve
        with pytest.raises(GoogleCalendarError) as failed:
            fetch(url)
        messages.add(failed.value.message)
    assert len(messages) == 1, messages
    [message] = messages
    assert "404" not in message and "Error" not in message


def test_a_trickling_server_meets_the_whole_download_deadline(server, network):
    for path in ("/trickle", "/trickle-chunked"):
        started = time.monotonic()
        with pytest.raises(TransportError) as slow:
            fetch(f"http://127.0.0.1:{server.port}{path}/files/x{SIGNED}", deadline=1.0)
        assert time.monotonic() - started < 2.5
        assert "within 1 seconds" in slow.value.message
        assert f"{LIMIT:,} bytes" in slow.value.message


def test_a_compression_bomb_stops_at_the_byte_bound(server, network):
    with pytest.raises(InvalidInputError) as big:
        fetch(f"http://127.0.0.1:{server.port}/bomb/files/x{SIGNED}")
    assert f"larger than {LIMIT:,} bytes" in str(big.value)
    assert server.requests[0][1]["Accept-Encoding"] == "identity"


def test_a_large_plain_file_stops_at_the_byte_bound(server, network):
    with pytest.raises(InvalidInputError) as big:
        fetch(f"http://127.0.0.1:{server.port}/big/files/x{SIGNED}")
    assert f"larger than {LIMIT:,} bytes" in str(big.value)


@pytest.mark.parametrize("url", [
    "http://" + "a" * 64 + ".example.com/calendar.ics",
    "http://" + "a" * 64 + "/files/x/file-preview" + SIGNED,
    "http://exa mple.com/calendar.ics",
    "http://calendar.example:99999/calendar.ics",
    "http://calendar.example:port/calendar.ics",
    "http:///calendar.ics",
])
def test_a_malformed_link_is_the_users_input_error(url, network):
    with pytest.raises(InvalidInputError) as bad:
        fetch(url)
    assert bad.value.parameter == "file"
    assert network == []


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """An HTTPS server on loopback whose certificate names calendar.example only."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=calendar.example",
                    "-addext", "subjectAltName=DNS:calendar.example"],
                   check=True, capture_output=True, timeout=120)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(ICS)))
            self.end_headers()
            self.wfile.write(ICS)

        def log_message(self, *args: object) -> None:
            pass

    https = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    https.socket = context.wrap_socket(https.socket, server_side=True)
    https.handle_error = lambda request, address: None  # the impostor test fails the handshake
    threading.Thread(target=https.serve_forever, daemon=True).start()
    yield https.server_address[1], cert
    https.shutdown()
    https.server_close()


def test_https_connects_to_the_checked_address_and_verifies_the_host_name(
        tls_server, network, monkeypatch):
    port, cert = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
    monkeypatch.setitem(NAMES, "impostor.example", [PUBLIC])

    def to_tls_server(address: tuple[str, int], timeout: float) -> socket.socket:
        network.append(address[0])
        assert address[0] == PUBLIC
        return socket.create_connection(("127.0.0.1", port), timeout=timeout)

    monkeypatch.setattr(files, "connect", to_tls_server)
    assert fetch("https://calendar.example/calendar.ics") == ICS
    with pytest.raises(TransportError) as refused:  # the certificate names another host
        fetch("https://impostor.example/calendar.ics")
    assert "Could not download the file from its link" in refused.value.message
    assert network == [PUBLIC, PUBLIC]
