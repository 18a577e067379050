"""How long the tests wait, scaled to the machine: one factor for every timeout.

`GCAL_TEST_TIME_FACTOR` sets it (e.g. 3 on a slow CI runner); unset, it follows the load at
start-up: the 1-minute load average per CPU, at least 1, at most 4. `scripts/test` computes it
once and exports it, so pytest, the plugin processes and the emulator agree.
"""

from __future__ import annotations

import os

ENV = "GCAL_TEST_TIME_FACTOR"
MAX_AUTO_FACTOR = 4.0


def factor() -> float:
    given = os.environ.get(ENV, "").strip()
    if given:
        try:
            return max(1.0, float(given))
        except ValueError:
            raise SystemExit(f"{ENV}={given!r} is not a number") from None
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:  # no load average on this platform
        return 1.0
    return round(min(MAX_AUTO_FACTOR, max(1.0, load)), 1)


def scaled(seconds: float) -> float:
    return seconds * factor()


if __name__ == "__main__":
    print(factor())
