"""A stateful, discovery-validated emulator of Google OAuth 2.0 + Calendar v3 for tests."""

from .faults import Fault
from .server import DEFAULT_SCOPES, GoogleEmulator, RecordedRequest

__all__ = ["DEFAULT_SCOPES", "Fault", "GoogleEmulator", "RecordedRequest", "seed_demo"]


def seed_demo(emu: GoogleEmulator):  # type: ignore[no-untyped-def]
    from .demo import seed_demo as _seed

    return _seed(emu)
