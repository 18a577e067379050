"""Fetching the file Dify hands to a tool: bounded in time and bytes, kept off the host's network.

A file the user uploaded reaches the plugin as Dify's signed link
(``<FILES_URL>/files/<id>/file-preview?timestamp=…&nonce=…&sign=…``); a file added *by link*
reaches it as the user's own URL, unchanged. The plugin fetches both itself, outside Dify's
SSRF proxy, so the rules are:

* never a link-local or cloud-metadata address (169.254.0.0/16, fe80::/10, fd00:ec2::254,
  100.100.100.200, ``metadata.google.internal``, …);
* private and loopback addresses only for URLs shaped like Dify's signed file links
  (self-hosted Dify usually lives on one); every other URL must resolve to public addresses;
* the connection goes to the very address that was checked (no second lookup to rebind);
* redirects only within the same origin, each hop checked again;
* one deadline and one byte bound for the whole download, whatever the server trickles;
* ``Accept-Encoding: identity``; an answer compressed anyway is unpacked under the same byte
  bound here, so the protection does not depend on the installed urllib3's decoder limits;
* a failure for a link that is not Dify's says nothing about what answered.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import re
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

from requests import certs

from gcal.errors import InvalidInputError, TransportError
from gcal.google.transport import USER_AGENT, default_timeout

DOWNLOAD_DEADLINE = 20.0  # seconds for the whole download, redirects included
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
_DIFY_LINK_PATH = re.compile(r"(^|/)files/[^?#]+")
_SIGNED_QUERY = ("timestamp", "nonce", "sign")
_METADATA_HOSTS = {"metadata", "metadata.google.internal", "metadata.goog",
                   "instance-data", "instance-data.ec2.internal", "metadata.azure.internal",
                   "metadata.packet.net", "metadata.tencentyun.com"}
_NEVER = tuple(ipaddress.ip_network(net) for net in (
    "169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32", "0.0.0.0/8",
    "::/128", "192.0.0.192/32"))  # Oracle Cloud's metadata sits in 192.0.0.0/24
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: private in practice



def resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo (looked up at call time: gevent may have patched it); tests stub it."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def connect(address: tuple[str, int], timeout: float) -> socket.socket:
    return socket.create_connection(address, timeout=timeout)


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent
    dify_link: bool

    def same_origin(self, other: _Target) -> bool:
        return (self.scheme, self.host, self.port) == (other.scheme, other.host, other.port)


class _Refused(Exception):
    """The URL points where the plugin will not go (the message says why)."""


def download(url: str, *, limit: int, parameter: str = "file",
             deadline: float = DOWNLOAD_DEADLINE) -> bytes:
    """The bytes at `url`; InvalidInputError past `limit` bytes or for a URL the plugin will not
    fetch. Errors never show the URL (Dify signs it: the query is a credential)."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise TransportError("Dify passed the file without a usable URL. Set FILES_URL (or "
                             "INTERNAL_FILES_URL) in Dify so plugins can fetch files.")
    target = _target(url, parameter)
    try:
        return _Download(target, limit, parameter, deadline).run()
    except _Refused as refused:
        raise InvalidInputError(parameter, str(refused)) from None


def _target(url: str, parameter: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise InvalidInputError(parameter, "the file's link is not a valid URL") from None
    host = _checked_host(parts.hostname or "", parameter)
    query = parse_qs(parts.query)
    dify_link = bool(_DIFY_LINK_PATH.search(parts.path)) and all(
        query.get(key, [""])[0] for key in _SIGNED_QUERY)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(url, parts.scheme.lower(), host, port, path, dify_link)


def _checked_host(host: str, parameter: str) -> str:
    """The host as IDNA ASCII; a label over 63 characters (which urllib3 would refuse with a
    raw LocationParseError) or any other malformed name is the user's input error."""
    host = host.rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        ascii_host = ""
    labels = ascii_host.split(".")
    if (not ascii_host or len(ascii_host) > 253 or any(not 0 < len(label) <= 63 for label in labels)
            or not all(re.fullmatch(r"[a-z0-9_-]+", label) for label in labels)):
        raise InvalidInputError(parameter, "the file's link has an invalid host name")
    return ascii_host


class _Download:
    def __init__(self, target: _Target, limit: int, parameter: str, deadline: float) -> None:
        self.first = target
        self.limit = limit
        self.parameter = parameter
        self.deadline = deadline
        self.ends = time.monotonic() + deadline
        self.timed_out = threading.Event()

    def run(self) -> bytes:
        target = self.first
        for _ in range(MAX_REDIRECTS + 1):
            if self._remaining() <= 0:
                raise self._too_slow()
            try:
                found = self._fetch(target)
            except (OSError, http.client.HTTPException) as exc:
                raise self._failed(type(exc).__name__) from None
            if isinstance(found, bytes):
                return found
            target = self._redirect(target, found)
        raise self._failed("too many redirects")

    def _redirect(self, current: _Target, location: str) -> _Target:
        following = _target(urljoin(current.url, location), self.parameter)
        if not current.same_origin(following):
            raise self._failed("redirected to another site")
        return following

    def _fetch(self, target: _Target) -> bytes | str:
        """The body, or the Location of a redirect."""
        sock = self._open(target)
        watchdog = threading.Timer(self._remaining(), self._cut, (sock,))
        watchdog.daemon = True
        watchdog.start()
        connection = _Connection(target.host, target.port, sock)
        try:
            connection.request("GET", target.path, headers={
                "User-Agent": USER_AGENT, "Accept-Encoding": "identity", "Accept": "*/*"})
            response = connection.getresponse()
            if response.status in _REDIRECTS and response.getheader("Location"):
                return response.getheader("Location", "")
            if response.status != 200:
                raise self._failed(f"HTTP {response.status}")
            return self._body(response, sock)
        except (OSError, http.client.HTTPException):
            if self.timed_out.is_set() or self._remaining() <= 0.1:
                raise self._too_slow() from None
            raise
        finally:
            watchdog.cancel()
            connection.close()

    def _open(self, target: _Target) -> socket.socket:
        addresses = self._addresses(target)
        connect_timeout = min(default_timeout()[0], self._remaining())
        error: OSError | None = None
        for address in addresses:
            try:
                sock = connect((address, target.port), timeout=connect_timeout)
                break
            except OSError as exc:
                error = exc
        else:
            raise error or OSError("no address")
        if target.scheme == "https":
            context = ssl.create_default_context(
                cafile=os.environ.get("REQUESTS_CA_BUNDLE") or certs.where())  # as requests
            sock = context.wrap_socket(sock, server_hostname=target.host)
        return sock

    def _addresses(self, target: _Target) -> list[str]:
        """Every address the host resolves to, each allowed, or _Refused."""
        if target.host in _METADATA_HOSTS:
            raise _Refused("the file's link points to a cloud metadata service")
        try:
            addresses = [str(ipaddress.ip_address(target.host))]
        except ValueError:
            try:
                found = resolve(target.host, target.port)
            except (OSError, UnicodeError):
                raise self._failed("the host name does not resolve") from None
            addresses = list(dict.fromkeys(info[4][0] for info in found))
        for address in addresses:
            problem = _address_problem(address, dify_link=target.dify_link)
            if problem:
                raise _Refused(f"the file's link points to {problem}; only public addresses "
                               "(or Dify's own signed file links) are fetched")
        return addresses

    def _body(self, response: http.client.HTTPResponse, sock: socket.socket) -> bytes:
        decoder = self._decoder(response.getheader("Content-Encoding") or "identity")
        content = bytearray()
        received = 0
        read_timeout = default_timeout()[1]
        while True:
            sock.settimeout(max(0.01, min(read_timeout, self._remaining())))
            chunk = response.read1(_CHUNK)
            if self.timed_out.is_set() or self._remaining() <= 0:
                raise self._too_slow()
            if not chunk:
                break
            received += len(chunk)
            if received > self.limit:
                raise self._too_large()
            content.extend(decoder.decompress(chunk, self.limit + 1 - len(content))
                           if decoder else chunk)
            if len(content) > self.limit:
                raise self._too_large()
        if decoder:
            content.extend(decoder.flush())
            if len(content) > self.limit or not decoder.eof:
                raise self._too_large() if len(content) > self.limit else \
                    self._failed("a truncated compressed answer")
        return bytes(content)

    def _decoder(self, encoding: str):
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            return None
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(wbits=31)
        if encoding == "deflate":
            return zlib.decompressobj(wbits=47)  # zlib or gzip header, detected
        raise self._failed(f"an unsupported Content-Encoding {encoding[:20]!r}")

    def _cut(self, sock: socket.socket) -> None:
        """The deadline passed: end whatever read is waiting (the server may trickle bytes)."""
        self.timed_out.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _remaining(self) -> float:
        return self.ends - time.monotonic()

    def _too_large(self) -> InvalidInputError:
        return InvalidInputError(self.parameter, f"the file is larger than {self.limit:,} "
                                 "bytes, the most that can be imported at once")

    def _too_slow(self) -> TransportError:
        return TransportError(
            f"The file did not finish downloading within {self.deadline:g} seconds (the most "
            f"one download may take; at most {self.limit:,} bytes). Try again, or upload a "
            "smaller file.")

    def _failed(self, problem: str) -> TransportError:
        if not self.first.dify_link:  # say nothing about what answered, or whether anything did
            return TransportError(
                "Could not download the file from its link. Check that the link is public and "
                "leads straight to the .ics file, or upload the file to Dify instead.")
        return TransportError(
            f"Could not download the file from Dify ({problem}). Check that the plugin can "
            "reach Dify's file URL (FILES_URL / INTERNAL_FILES_URL) and try again.")


def _address_problem(address: str, *, dify_link: bool) -> str | None:
    """Why the plugin will not connect to `address`, or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _NEVER if net.version == ip.version) or ip.is_link_local:
        return "a link-local or cloud metadata address"
    if ip.is_global:
        return None
    if ip.is_loopback or ip.is_private or ip in _SHARED:
        return None if dify_link else "a private or loopback address"
    return "an address that is not a host"


class _Connection(http.client.HTTPConnection):
    """An HTTP/1.1 connection over a socket already connected (and TLS-wrapped) to the
    address that was checked; the Host header still names the host."""

    def __init__(self, host: str, port: int, sock: socket.socket) -> None:
        super().__init__(host, port)
        self.sock = sock

    def connect(self) -> None:  # never reconnect by name
        raise http.client.NotConnected()
