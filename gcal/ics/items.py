"""What reading an .ics file yields, shared by reading, ranges and the import: one
`ImportItem` per usable VEVENT (a body Google accepts), one `Skipped` per unusable one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ImportItem:
    uid: str
    body: dict
    sequence: int
    original_start: str | None = None  # RECURRENCE-ID as a comparable key (changed occurrence)
    this_and_future: bool = False  # RECURRENCE-ID;RANGE=THISANDFUTURE: this and later ones

    @property
    def summary(self) -> str:
        return self.body.get("summary") or "(no title)"

    @property
    def key(self) -> tuple[str, str | None]:
        return self.uid, self.original_start


@dataclass(frozen=True)
class Skipped:
    uid: str | None
    summary: str
    reason: str


@dataclass
class IcsFile:
    method: str | None
    items: list[ImportItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def cancels(self) -> bool:
        return self.method == "CANCEL"


def start_key(original: date | datetime) -> str:
    """Comparable form of a RECURRENCE-ID / Google originalStartTime."""
    if isinstance(original, datetime):
        return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


def original_start_key(google_time: dict | None) -> str | None:
    """The same key for Google's `originalStartTime` of a stored occurrence."""
    if not google_time:
        return None
    if google_time.get("date"):
        return google_time["date"].replace("-", "")
    return start_key(datetime.fromisoformat(google_time["dateTime"]))


def excluded_keys(recurrence: list[str] | None) -> set[str]:
    """The start keys a stored series' EXDATE lines exclude (Google may write them in UTC,
    as dates, or with a TZID)."""
    keys = set()
    for line in recurrence or []:
        head, _, values = line.partition(":")
        if not head.upper().startswith("EXDATE"):
            continue
        params = dict(p.split("=", 1) for p in head.split(";")[1:] if "=" in p)
        for value in filter(None, values.split(",")):
            if len(value) == 8:
                keys.add(value)
                continue
            moment = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
            zone = ZoneInfo(params["TZID"]) if "TZID" in params else UTC
            keys.add(start_key(moment.replace(tzinfo=zone)))
    return keys
