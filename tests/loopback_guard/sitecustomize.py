"""Loaded by every plugin process the tests start (PYTHONPATH, tests/plugin_process.py): the
process may connect only to loopback (127.0.0.0/8, ::1) and Unix sockets, like the test process
itself (tests/conftest.py). A refused attempt raises ConnectionRefusedError before any packet is
sent and prints MARKER on stderr, which fails the test that caused it.

Both socket classes are guarded: the standard library's and gevent's, which the SDK's
monkey-patching puts in its place.
"""

from __future__ import annotations

import ipaddress
import socket
import sys

MARKER = "LOOPBACK-GUARD refused a connection to"


def _check(address: object) -> None:
    if not isinstance(address, tuple):  # AF_UNIX paths are local
        return
    host = str(address[0]).split("%", 1)[0]
    try:
        allowed = ipaddress.ip_address(host).is_loopback
    except ValueError:
        allowed = host == "localhost"
    if not allowed:
        print(f"{MARKER} {host}:{address[1]}", file=sys.stderr, flush=True)
        raise ConnectionRefusedError(f"tests may only connect to loopback, not {host}")


def _guard(cls: type) -> None:
    plain_connect, plain_connect_ex = cls.connect, cls.connect_ex

    def connect(self, address):
        _check(address)
        return plain_connect(self, address)

    def connect_ex(self, address):
        _check(address)
        return plain_connect_ex(self, address)

    cls.connect, cls.connect_ex = connect, connect_ex


_guard(socket.socket)
try:
    from gevent._socketcommon import SocketMixin
except ImportError:  # a process without gevent
    pass
else:
    _guard(SocketMixin)
