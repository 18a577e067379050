"""Fixtures for the unit tests of the Google emulator itself.

* ``server``  module: a private ``GoogleEmulator`` per test module (not the session-wide
              ``emulator``), checked at the end for internal errors (emulator bugs).
              Each module's own ``emu`` fixture resets it and adds the users it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from tests.emulator import GoogleEmulator  # here: the other unit tests need no emulator

    with GoogleEmulator() as emu:
        yield emu
        assert not emu.internal_errors, emu.internal_errors
