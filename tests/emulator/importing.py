"""How the emulator's `events.import` treats an iCalUID the calendar holds, and what the user
may change on an imported copy. Each rule and its public source: docs/google-behaviour.md.

Confirmed (modelled one way):
- a held iCalUID is **replaced** by the import (gcalcli PR #599: "the event is replaced if
  already existing in the specified calendar");
- the calendar's owner must be the organizer or an attendee, else 400
  `participantIsNeitherOrganizerNorAttendee` (kewisch/gdata-provider#1049);
- a copy organized by someone else takes changes of personal fields only (403
  `forbiddenForNonOrganizer`, kewisch/gdata-provider#728 and #352).

Not settled (one switch per plausible behaviour; the import tests run under every setting):
- `stale`: an import whose SEQUENCE is equal to or lower than the held one replaces it, is
  ignored (answered with the held event), or is refused 409 `duplicate`;
- `deleted`: an import of an iCalUID the user deleted restores it, or is refused 409;
- `attendee_update`: `events.update` of shared fields of an imported copy whose organizer is
  someone else (the user is an attendee) is refused (the invitation rule) or allowed;
- `held`: `replace` (the evidence above) or `refuse` (the earlier, misread model: 409
  `duplicate` for any held iCalUID), kept to prove the plugin right under both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

ENVIRONMENT = "GOOGLE_EMULATOR_IMPORT_RULES"  # e.g. "stale=keep,deleted=refuse"


@dataclass(frozen=True)
class ImportRules:
    held: str = "replace"  # replace | refuse
    stale: str = "replace"  # replace | keep | refuse
    deleted: str = "restore"  # restore | refuse
    attendee_update: str = "forbid"  # forbid | allow

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}")

    @property
    def label(self) -> str:
        changed = [f"{f.name}={getattr(self, f.name)}" for f in fields(self)
                   if getattr(self, f.name) != f.default]
        return ",".join(changed) or "default"

    @classmethod
    def parse(cls, text: str) -> ImportRules:
        pairs = [part.split("=", 1) for part in text.split(",") if "=" in part]
        return cls(**{name.strip(): value.strip() for name, value in pairs})

    @classmethod
    def from_environment(cls) -> ImportRules:
        return cls.parse(os.environ.get(ENVIRONMENT, ""))


CHOICES = {
    "held": ("replace", "refuse"),
    "stale": ("replace", "keep", "refuse"),
    "deleted": ("restore", "refuse"),
    "attendee_update": ("forbid", "allow"),
}

# Every setting the import tests run under: the default, each unknown's other answers one at a
# time, and the earlier model (held refused, deleted refused, copies editable).
SETTINGS = (
    ImportRules(),
    ImportRules(stale="keep"),
    ImportRules(stale="refuse"),
    ImportRules(deleted="refuse"),
    ImportRules(attendee_update="allow"),
    ImportRules(held="refuse", deleted="refuse", attendee_update="allow"),
)



def takes_part(body: dict, owners: set[str]) -> bool:
    """The calendar's owner organizes the event or is one of its attendees."""
    people = [(body.get("organizer") or {}).get("email", "")]
    people += [a.get("email", "") for a in body.get("attendees") or [] if isinstance(a, dict)]
    return any(p.lower() in owners for p in people if p)


def answer_for_held(rules: ImportRules, held: dict, sequence: int) -> str:
    """What an import does to a held event: `replace`, `keep` (answer with the held event) or
    `refuse` (409 duplicate)."""
    deleted = held.get("status") == "cancelled"
    if rules.held == "refuse" or (deleted and rules.deleted == "refuse"):
        return "refuse"
    if not deleted and sequence <= int(held.get("sequence") or 0):
        return rules.stale
    return "replace"
