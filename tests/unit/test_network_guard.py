"""The suite's own guard: no test connects beyond loopback (tests/conftest.py)."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest

from tests import conftest


def _refused_now() -> list[str]:
    refused = list(conftest._refused_connections)
    del conftest._refused_connections[:]  # this test expected them: do not fail it
    return refused


@pytest.mark.parametrize("address", [("192.0.2.10", 80), ("10.0.0.1", 443),
                                     ("169.254.169.254", 80), ("2001:db8::1", 443),
                                     ("example.com", 80)])
def test_a_connection_outside_loopback_is_refused_before_any_packet(address):
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family) as sock, pytest.raises(conftest.NonLoopbackConnection):
        sock.connect(address)
    with pytest.raises(conftest.NonLoopbackConnection):
        socket.create_connection(("192.0.2.11", 80), timeout=1)
    assert _refused_now()[0] == f"{address[0]}:{address[1]}"


def test_loopback_and_unix_sockets_stay_allowed():
    server = socket.create_server(("127.0.0.1", 0))
    socket.create_connection(server.getsockname(), timeout=2).close()
    server.close()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "s")
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path)
        listener.listen()
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(path)
        listener.close()
    assert _refused_now() == []
