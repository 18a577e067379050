"""Which of Google's public holiday calendars is a person's: by country code, name or zone.

Google's regional holiday calendars are named ``en.<country>#holiday@group.v.calendar.google.com``
with an English country word that is not the ISO code (``en.japanese``, ``en.usa``, ``en.uk``,
``en.german``). The table below is the list Google Calendar offers under "Holidays in …",
as collected by apps that subscribe to them (for example the COUNTRY_CALENDAR_IDS table of
an open-source calendar app found with a public code search for
``en.japanese#holiday@group.v.calendar.google.com``); only countries whose id was seen there
are listed.

A zone's country comes from the IANA tz database's ``zone.tab`` (shipped in the ``tzdata``
package that ``icalendar`` already installs, else the system's zoneinfo).
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from gcal.errors import InvalidInputError
from gcal.events.holiday_marks import HOLIDAY_CALENDAR_SUFFIX as HOLIDAY_SUFFIX

HOLIDAYS_EXAMPLE = "ken@example.com=jp"

# ISO 3166 code: (the word in Google's calendar id, the country's English name)
_COUNTRIES = {
    "ar": ("argentine", "Argentina"), "at": ("austrian", "Austria"),
    "au": ("australian", "Australia"), "bd": ("bd", "Bangladesh"), "be": ("be", "Belgium"),
    "br": ("brazilian", "Brazil"), "ca": ("canadian", "Canada"), "ch": ("swiss", "Switzerland"),
    "cl": ("chilean", "Chile"), "cn": ("china", "China"), "co": ("colombian", "Colombia"),
    "cz": ("czech", "Czechia"), "de": ("german", "Germany"), "dk": ("danish", "Denmark"),
    "eg": ("egyptian", "Egypt"), "es": ("spanish", "Spain"), "fi": ("finnish", "Finland"),
    "fr": ("french", "France"), "gb": ("uk", "United Kingdom"), "gr": ("greek", "Greece"),
    "hk": ("hong_kong", "Hong Kong"), "hu": ("hungarian", "Hungary"),
    "id": ("indonesian", "Indonesia"), "ie": ("irish", "Ireland"), "il": ("israeli", "Israel"),
    "in": ("indian", "India"), "it": ("italian", "Italy"), "jp": ("japanese", "Japan"),
    "ke": ("kenyan", "Kenya"), "kr": ("south_korea", "South Korea"),
    "mx": ("mexican", "Mexico"), "my": ("malaysian", "Malaysia"), "ng": ("nigerian", "Nigeria"),
    "nl": ("dutch", "Netherlands"), "no": ("norwegian", "Norway"),
    "nz": ("new_zealand", "New Zealand"), "pe": ("peruvian", "Peru"),
    "ph": ("philippines", "Philippines"), "pk": ("pakistani", "Pakistan"),
    "pl": ("polish", "Poland"), "pt": ("portuguese", "Portugal"), "ro": ("romanian", "Romania"),
    "ru": ("russian", "Russia"), "sa": ("saudiarabian", "Saudi Arabia"),
    "se": ("swedish", "Sweden"), "sg": ("singapore", "Singapore"), "th": ("thai", "Thailand"),
    "tr": ("turkish", "Turkey"), "tw": ("taiwan", "Taiwan"), "ua": ("ukrainian", "Ukraine"),
    "us": ("usa", "United States"), "vn": ("vietnamese", "Vietnam"),
    "za": ("south_africa", "South Africa"), "ae": ("united_arab_emirates",
                                                    "United Arab Emirates"),
}
_ALIASES = {"uk": "gb", "usa": "us", "korea": "kr"}


def holiday_calendar_id(value: str, parameter: str = "attendee_holidays") -> str:
    """A country code (``jp``), English name (``Japan``) or a holiday calendar id."""
    text = value.strip()
    if text.endswith(HOLIDAY_SUFFIX):
        return text
    key = text.casefold()
    if key.startswith("en.") and "#" not in key:
        return text + HOLIDAY_SUFFIX
    code = _ALIASES.get(key, key)
    if code not in _COUNTRIES:
        code = next((c for c, (_, name) in _COUNTRIES.items() if name.casefold() == key), "")
    if not code:
        raise InvalidInputError(
            parameter,
            f"{text!r} is not a country this plugin knows; give a two-letter country code "
            f"(jp, de, us…) or a holiday calendar id such as en.japanese{HOLIDAY_SUFFIX}",
            HOLIDAYS_EXAMPLE,
        )
    return calendar_of(code)


def holidays_name(calendar_id: str) -> str:
    """``Holidays in Japan`` for ``en.japanese#holiday@…`` (the name Google shows)."""
    word = calendar_id.split("#", 1)[0].removeprefix("en.")
    country = next((name for w, name in _COUNTRIES.values() if w == word), word)
    return f"Holidays in {country}"


def calendar_of(country_code: str) -> str:
    return f"en.{_COUNTRIES[country_code][0]}{HOLIDAY_SUFFIX}"


def zone_holiday_calendar(zone: ZoneInfo) -> str | None:
    """The holiday calendar of the country a zone belongs to, when the table has one."""
    code = _zone_countries().get(zone.key)
    return calendar_of(code) if code in _COUNTRIES else None


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    text = _zone_table()
    countries = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and not line.startswith("#"):
            countries[fields[2]] = fields[0].casefold()
    return countries


def _zone_table() -> str:
    try:
        return importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(
            encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        system = Path("/usr/share/zoneinfo/zone.tab")
        return system.read_text(encoding="utf-8") if system.exists() else ""
