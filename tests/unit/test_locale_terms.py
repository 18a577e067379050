"""Labels and human texts use Google Calendar's own words per locale and fit Dify's UI.

Terms are those of Google Calendar's web UI in each language (issue 17): zh_Hans 活动, 邀请对象,
全天, 重复; ja_JP 予定, ゲスト, 終日, 繰り返し, 出欠 (はい/いいえ/未定), デフォルト; pt_BR evento,
convidados, dia inteiro; en_US one spelling (Color, ID). Recurring scopes read like Google's
"This event / This and following events / All events" dialog.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TOOL_LABEL_MAX = 30
PARAMETER_LABEL_MAX = 25

# Words that Google Calendar's UI does not use in that locale, and what it says instead.
AVOIDED = {
    "zh_Hans": {"事件": "活动", "参与者": "邀请对象", "与会者": "邀请对象", "受邀者": "邀请对象",
                "整天": "全天", "重复周期": "重复", "循环": "重复"},
    "ja_JP": {"既定": "デフォルト", "参加者": "ゲスト", "出席者": "ゲスト", "終日の予定で": "終日",
              "イベント": "予定", "終日間": "終日", "反復": "繰り返し", "定期的": "繰り返し"},
    "pt_BR": {"compromisso": "evento", "participante": "convidado", "o dia todo": "dia inteiro",
              "dia todo": "dia inteiro", "calendário": "agenda"},
    "en_US": {"colour": "color"},
}
EN_ID = re.compile(r"\b(?:Id|id)\b")  # en_US human texts write "ID"

# The label Google's UI gives these parameters and options, per locale.
PARAMETER_LABELS = {
    "all_day": {"en_US": "All day", "zh_Hans": "全天", "ja_JP": "終日", "pt_BR": "Dia inteiro"},
    "recurrence": {"en_US": "Repeat", "zh_Hans": "重复", "ja_JP": "繰り返し", "pt_BR": "Repetição"},
    "attendees": {"en_US": "Guests", "zh_Hans": "邀请对象", "ja_JP": "ゲスト",
                  "pt_BR": "Convidados"},
    "color": {"en_US": "Color", "zh_Hans": "颜色", "ja_JP": "色", "pt_BR": "Cor"},
    "response": {"en_US": "Going?", "zh_Hans": "是否参加？", "ja_JP": "出欠",
                 "pt_BR": "Participar?"},
}
OPTION_LABELS = {
    ("scope", "instance"): {"en_US": "This event", "zh_Hans": "此活动", "ja_JP": "この予定",
                            "pt_BR": "Este evento"},
    ("scope", "following"): {"en_US": "This and following events",
                             "zh_Hans": "此活动及后续活动", "ja_JP": "これ以降のすべての予定",
                             "pt_BR": "Este e os eventos seguintes"},
    ("scope", "series"): {"en_US": "All events", "zh_Hans": "所有活动", "ja_JP": "すべての予定",
                          "pt_BR": "Todos os eventos"},
    ("response", "accepted"): {"en_US": "Yes", "zh_Hans": "是", "ja_JP": "はい", "pt_BR": "Sim"},
    ("response", "declined"): {"en_US": "No", "zh_Hans": "否", "ja_JP": "いいえ", "pt_BR": "Não"},
    ("response", "tentative"): {"en_US": "Maybe", "zh_Hans": "可能", "ja_JP": "未定",
                                "pt_BR": "Talvez"},
}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text("utf-8"))


def _declarations() -> list[Path]:
    return [REPO / "manifest.yaml", REPO / "provider" / "google_calendar.yaml",
            *sorted((REPO / "tools").glob("*.yaml"))]


def _i18n_texts(node: Any, where: str = "") -> Iterator[tuple[str, str, str]]:
    """(where, locale, text) for every i18n object (a mapping with an en_US key)."""
    if isinstance(node, dict):
        if isinstance(node.get("en_US"), str):
            for locale, text in node.items():
                yield where, locale, str(text)
            return
        for key, value in node.items():
            if key in ("llm", "llm_description", "output_schema"):
                continue  # for the model, in English; the schema-size test covers them
            yield from _i18n_texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            name = item.get("name") or item.get("value") if isinstance(item, dict) else None
            yield from _i18n_texts(item, f"{where}[{name or index}]")


def _all_texts() -> Iterator[tuple[str, str, str]]:
    for path in _declarations():
        for where, locale, text in _i18n_texts(_load(path)):
            yield f"{path.relative_to(REPO)}{where}", locale, text


def _tool_parameters() -> Iterator[tuple[str, dict]]:
    for path in sorted((REPO / "tools").glob("*.yaml")):
        for parameter in _load(path).get("parameters") or []:
            yield path.stem, parameter


def test_each_locale_uses_google_calendars_terms() -> None:
    wrong = []
    for where, locale, text in _all_texts():
        for avoided, preferred in AVOIDED.get(locale, {}).items():
            if avoided.casefold() in text.casefold():
                wrong.append(f"{where} {locale}: {avoided!r} -> {preferred!r} in {text!r}")
        if locale == "en_US" and EN_ID.search(text):
            wrong.append(f"{where} en_US: write 'ID' in {text!r}")
    assert not wrong, "\n".join(wrong)


def test_known_parameters_and_options_carry_googles_labels() -> None:
    wrong = []
    for tool, parameter in _tool_parameters():
        expected = PARAMETER_LABELS.get(parameter["name"])
        if expected and parameter.get("label") != expected:
            wrong.append(f"{tool}.{parameter['name']}: {parameter.get('label')} != {expected}")
        for option in parameter.get("options") or []:
            expected = OPTION_LABELS.get((parameter["name"], option["value"]))
            if expected and option.get("label") != expected:
                wrong.append(f"{tool}.{parameter['name']}={option['value']}: "
                             f"{option.get('label')} != {expected}")
    assert not wrong, "\n".join(wrong)


def test_one_parameter_name_has_one_label_per_locale() -> None:
    seen: dict[tuple[str, str], dict[str, str]] = {}
    wrong = []
    for tool, parameter in _tool_parameters():
        for locale, text in (parameter.get("label") or {}).items():
            first = seen.setdefault((parameter["name"], locale), {"tool": tool, "text": text})
            if first["text"] != text:
                wrong.append(f"{parameter['name']} {locale}: {first['tool']} says "
                             f"{first['text']!r}, {tool} says {text!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", sorted((REPO / "tools").glob("*.yaml")), ids=lambda p: p.stem)
def test_labels_fit_difys_ui(path: Path) -> None:
    data = _load(path)
    too_long = [f"tool label {locale}: {text!r}" for locale, text in
                data["identity"]["label"].items() if len(text) > TOOL_LABEL_MAX]
    too_long += [f"{parameter['name']} {locale}: {text!r}"
                 for parameter in data.get("parameters") or []
                 for locale, text in (parameter.get("label") or {}).items()
                 if len(text) > PARAMETER_LABEL_MAX]
    assert not too_long, "\n".join(too_long)


def test_idempotency_is_claimed_only_for_creation_with_a_key() -> None:
    """Only create_event with idempotency_key is idempotent; no blanket claim for all writes."""
    blanket = [f"{where} {locale}: {text!r}" for where, locale, text in _all_texts()
               if re.search(r"idempot|幂等|冪等", text, re.IGNORECASE)
               and "[idempotency_key]" not in where]
    assert not blanket, "\n".join(blanket)
