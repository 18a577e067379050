"""RFC 3339 parsing/formatting and time-zone helpers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
    r"([Zz]|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def zone(name: str | None) -> tzinfo:
    """IANA zone by name; raises ValueError when unknown."""
    if not name:
        raise ValueError("empty time zone")
    if name in ("UTC", "Etc/UTC", "GMT"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def is_valid_zone(name: str | None) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def parse_datetime(value: str, *, require_offset: bool = False) -> datetime:
    """Parse an RFC 3339 date-time. Naive result if no offset (unless required)."""
    m = _RFC3339.match(value or "")
    if not m:
        raise ValueError(f"not an RFC3339 date-time: {value!r}")
    y, mo, d, h, mi, s, frac, off = m.groups()
    if require_offset and not off:
        raise ValueError(f"missing offset: {value!r}")
    if value[10] == " " and require_offset:
        raise ValueError("space separator")
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), micro)
    if off:
        if off in ("Z", "z"):
            return dt.replace(tzinfo=UTC)
        sign = 1 if off[0] == "+" else -1
        digits = off[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        from datetime import timezone

        return dt.replace(tzinfo=timezone(sign * delta))
    return dt


def parse_date(value: str) -> date:
    m = _DATE.match(value or "")
    if not m:
        raise ValueError(f"not a date: {value!r}")
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def fmt_datetime(dt: datetime, tz: tzinfo) -> str:
    """Format like Google: seconds precision, offset of ``tz``; 'Z' for a zero offset."""
    local = dt.astimezone(tz)
    s = local.isoformat(timespec="seconds")
    if s.endswith("+00:00"):
        s = s[:-6] + "Z"
    return s


def fmt_utc_ms(dt: datetime) -> str:
    """created/updated style: 2026-03-10T09:00:00.000Z."""
    u = dt.astimezone(UTC)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"


def date_start(d: date, tz: tzinfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=tz)


def now_utc() -> datetime:
    return datetime.now(UTC)
