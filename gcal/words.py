"""Small helpers for writing English answers."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 guest`, `2 guests`."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"
