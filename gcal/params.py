"""Coercion of tool parameters as Dify passes them (strings, numbers, None, lists).

Every failure is an InvalidInputError naming the parameter, raised before any request.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from email.utils import parseaddr
from typing import Any

from gcal.errors import InvalidInputError

_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
_SEPARATORS = re.compile(r"[,;\n\r]+")
_SEPARATORS_AND_SPACE = re.compile(r"[,;\s]+")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_KEEP_CONTROLS = frozenset("\n\t")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def to_bool(value: Any, parameter: str, default: bool | None = None) -> bool | None:
    """``True``/``"yes"``/``"1"``/``1`` and their opposites; None or "" gives ``default``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise InvalidInputError(parameter, f"{_shown(value)} is not true or false", "true")


def to_int(
    value: Any,
    parameter: str,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """A whole number within [minimum, maximum]; None or "" gives ``default``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    number = _whole_number(value)
    if number is None:
        example = _example(minimum, maximum)
        raise InvalidInputError(parameter, f"{_shown(value)} is not a whole number", example)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise InvalidInputError(
            parameter, f"{number} is out of range ({_range(minimum, maximum)})",
            _example(minimum, maximum),
        )
    return number


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = float(value) if "." in value else int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"allowed: {minimum} to {maximum}"
    if minimum is not None:
        return f"minimum {minimum}"
    return f"maximum {maximum}"


def _example(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None:
        return str(minimum if maximum is None else max(minimum, min(maximum, 10)))
    return str(0 if maximum is None or maximum >= 0 else maximum)


def to_str(
    value: Any, parameter: str, *, default: str | None = None, max_length: int | None = None
) -> str | None:
    """Trimmed text without control characters (newline and tab kept); blank gives default."""
    if value is None:
        return default
    text = value if isinstance(value, str) else str(value)
    text = "".join(ch for ch in text if ch in _KEEP_CONTROLS or not _is_control(ch)).strip()
    if not text:
        return default
    if max_length is not None and len(text) > max_length:
        raise InvalidInputError(
            parameter, f"is {len(text)} characters long; the maximum is {max_length}"
        )
    return text


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def split_list(value: Any, *, whitespace: bool = True) -> list[str]:
    """Items of a list given as a list, a JSON-ish list string, or separated text.

    Separators: comma, semicolon, newline and (unless ``whitespace=False``, e.g. for
    calendar names) other whitespace. Empty items and duplicates are dropped, order kept.
    """
    items = _raw_items(value, whitespace)
    return _unique(item for item in (_unquote(i) for i in items) if item)


def _raw_items(value: Any, whitespace: bool) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [str(item).strip() for item in value if item is not None]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            decoded = json.loads(text)
        except ValueError:
            text = text[1:-1]
        else:
            if isinstance(decoded, list):
                return _raw_items(decoded, whitespace)
    separators = _SEPARATORS_AND_SPACE if whitespace else _SEPARATORS
    return [part.strip() for part in separators.split(text)]


def _unquote(item: str) -> str:
    return item.strip().strip("\"'").strip()


def _unique(items: Iterable[str], key=lambda item: item) -> list[str]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


def parse_emails(value: Any, parameter: str) -> list[str]:
    """Email addresses (``a@x.com, Bob <b@y.org>``); every invalid one is named."""
    addresses: list[str] = []
    for item in split_list(value, whitespace=False):
        if "<" in item:
            addresses.append(parseaddr(item)[1] or item)
        else:
            addresses.extend(item.split())
    addresses = [strip_mailto(_unquote(a)) for a in addresses]
    bad = [a for a in addresses if not _EMAIL.fullmatch(a)]
    if bad:
        shown = ", ".join(_shown(a) for a in bad)
        verb = "is not a valid email address" if len(bad) == 1 else "are not valid email addresses"
        raise InvalidInputError(
            parameter, f"{shown} {verb}", "alice@example.com, bob@example.com"
        )
    return _unique(addresses, key=str.casefold)


def strip_mailto(address: str) -> str:
    return address[7:] if address.lower().startswith("mailto:") else address


def choice[T](
    value: Any,
    parameter: str,
    options: Mapping[str, T] | Iterable[T],
    default: T | None = None,
) -> T | None:
    """The canonical option ``value`` names, ignoring case, spaces, "-" and "_".

    ``options`` is either the canonical values or a mapping of accepted names to them.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    mapping = dict(options) if isinstance(options, Mapping) else {o: o for o in options}
    wanted = _normalized(value)
    for name, canonical in mapping.items():
        if _normalized(name) == wanted or _normalized(canonical) == wanted:
            return canonical
    listed = ", ".join(_unique(str(c) for c in mapping.values()))
    raise InvalidInputError(
        parameter, f"{_shown(value)} is not one of: {listed}",
        str(next(iter(mapping.values()), "")) or None,
    )


def _normalized(value: Any) -> str:
    return re.sub(r"[\s_-]+", "", str(value)).casefold()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"
