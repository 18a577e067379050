#!/usr/bin/env python3
"""Audit requirements.txt (what Dify installs) for known vulnerabilities with pip-audit.

pip-audit reports "No known vulnerabilities found" and exits 0 even when it could not fetch
vulnerability data for any package (it lists them as skipped). This wrapper never lets that
pass silently:

* vulnerabilities found                      -> exit 1, list them
* every package audited, none vulnerable     -> "audit: OK ..."
* vulnerability service unreachable / no data -> "audit: SKIPPED ..." (exit 0, clearly printed)
* some packages without data                 -> "audit: PARTIAL ..." listing them (exit 0)

Usage: python scripts/audit.py [--requirements requirements.txt] [--strict]
  --strict (or AUDIT_STRICT=1): treat SKIPPED/PARTIAL as failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORK_HINTS = (
    "ConnectionError", "NameResolutionError", "Max retries exceeded", "Temporary failure",
    "timed out", "Timeout", "Network is unreachable", "Connection refused", "SSLError",
)


def _pip_audit() -> list[str] | None:
    exe = Path(sys.executable).with_name("pip-audit")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("pip-audit")
    return [found] if found else None


def _index_reachable(url: str = "https://pypi.org/simple/", timeout: float = 10) -> bool:
    """pip-audit's own errors (e.g. "Failed to upgrade `pip`" in its scratch venv) do not
    always say that the network is down; ask the index directly (proxy settings apply)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requirements", default=str(ROOT / "requirements.txt"))
    parser.add_argument("--strict", action="store_true",
                        default=os.environ.get("AUDIT_STRICT") == "1")
    parser.add_argument("--timeout", type=float, default=240)
    args = parser.parse_args(argv)
    unaudited_rc = 1 if args.strict else 0

    cmd = _pip_audit()
    if cmd is None:
        print("audit: SKIPPED - pip-audit is not installed (run scripts/setup)")
        return unaudited_rc
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        try:
            proc = subprocess.run(
                [*cmd, "-r", args.requirements, "--progress-spinner", "off",
                 "-f", "json", "-o", str(report)],
                capture_output=True, text=True, timeout=args.timeout, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            print(f"audit: SKIPPED - pip-audit did not finish within {args.timeout:.0f}s "
                  "(vulnerability service or package index too slow/unreachable)")
            return unaudited_rc
        data = None
        if report.exists() and report.stat().st_size:
            try:
                data = json.loads(report.read_text())
            except json.JSONDecodeError:
                data = None

    if data is None:
        err = (proc.stderr or proc.stdout or "").strip().splitlines()
        last = err[-1] if err else f"exit code {proc.returncode}"
        if any(h in (proc.stderr or "") for h in NETWORK_HINTS) or not _index_reachable():
            print(f"audit: SKIPPED - could not reach the vulnerability service or index: {last}")
            return unaudited_rc
        print(f"audit: ERROR - pip-audit failed: {last}")
        return 1

    deps = data.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    if vulnerable:
        print(f"audit: FAILED - known vulnerabilities in {len(vulnerable)} package(s):")
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
                print(f"  {dep['name']} {dep.get('version')}: {vuln.get('id')} (fixed in {fixes})")
        return 1
    if deps and audited == 0:
        reason = skipped[0].get("skip_reason", "")
        print(f"audit: SKIPPED - no vulnerability data for any of {len(deps)} packages "
              f"(vulnerability service unreachable?); e.g. {reason}")
        return unaudited_rc
    if skipped:
        names = ", ".join(f"{d['name']} {d.get('version', '')}".strip() for d in skipped)
        print(f"audit: PARTIAL - {audited}/{len(deps)} packages audited, no known "
              f"vulnerabilities; not audited: {names}")
        return unaudited_rc
    print(f"audit: OK - {len(deps)} packages audited, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
