"""Standalone emulator: ``python -m tests.emulator --port 8765 --seed demo``."""

from __future__ import annotations

import argparse
import time

from . import GoogleEmulator
from .demo import seed_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Google OAuth + Calendar v3 emulator")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", choices=["demo", "none"], default="demo")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--auto-consent", action="store_true",
                        help="skip the consent page and approve as the demo user")
    args = parser.parse_args(argv)
    emu = GoogleEmulator(latency=args.latency).start(port=args.port, host=args.host)
    print(f"Google emulator listening on http://{args.host}:{emu.port}")
    print(f"  export GOOGLE_CALENDAR_EMULATOR_HOST={args.host}:{emu.port}")
    if args.seed == "demo":
        info = seed_demo(emu)
        if args.auto_consent:
            emu.auto_consent_user = info["user"]
        print(f"  user:          {info['user']}")
        print(f"  client_id:     {info['client_id']}")
        print(f"  client_secret: {info['client_secret']}")
        print(f"  access_token:  {info['access_token']}")
        print(f"  refresh_token: {info['refresh_token']}")
        for name, cid in info["calendars"].items():
            print(f"  calendar {name:9s} {cid}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
