"""The emulator stays quiet when a client hangs up, and still reports its own bugs (issue 27:
152 BrokenPipeError tracebacks buried the one real failure of a slow run)."""

from __future__ import annotations

import pytest

from tests.emulator.server import QuietHTTPServer
from tests.timeouts import ENV, factor, scaled


@pytest.fixture
def server():
    quiet = QuietHTTPServer(("127.0.0.1", 0), None)
    yield quiet
    quiet.server_close()


@pytest.mark.parametrize("hung_up", [BrokenPipeError, ConnectionResetError,
                                     ConnectionAbortedError])
def test_a_client_that_hung_up_leaves_no_traceback(server, capsys, hung_up):
    try:
        raise hung_up()
    except ConnectionError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""


def test_any_other_error_is_still_reported(server, capsys):
    try:
        raise ValueError("emulator bug")
    except ValueError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert "ValueError: emulator bug" in capsys.readouterr().err


def test_timeouts_follow_the_environment(monkeypatch):
    monkeypatch.setenv(ENV, "3")
    assert factor() == 3.0 and scaled(60) == 180.0
    monkeypatch.setenv(ENV, "0.5")
    assert factor() == 1.0  # never shorter than the written figure
    monkeypatch.delenv(ENV)
    assert 1.0 <= factor() <= 4.0  # from the load
