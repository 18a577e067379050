"""The tool boundary's rules, in-process: declared outputs completed, never null."""

from __future__ import annotations

import pytest

from tests.dify_host.conftest import TOOLS
from tests.dify_host.readers import TOOL_NODES
from tools._boundary import complete_outputs, declared_outputs, line_ended

KNOWN_TYPES = {"string", "array", "object", "boolean", "integer", "number"}


@pytest.mark.parametrize("tool", TOOLS)
def test_every_declared_output_has_a_type_with_an_empty_value(tool):
    declared = declared_outputs(f"tools.{tool}")
    assert declared, f"{tool} declares no output_schema"
    assert set(declared.values()) <= KNOWN_TYPES


def test_missing_and_null_outputs_become_the_empty_value_of_their_type():
    declared = {"token": "string", "items": "array", "event": "object", "more": "boolean",
                "count": "integer"}
    completed = complete_outputs({"count": 3, "event": None, "extra": None}, declared)
    assert completed == {"token": "", "items": [], "event": {}, "more": False, "count": 3,
                         "extra": ""}
    assert list(completed)[:5] == list(declared)  # declaration order first
    strict_node = TOOL_NODES[0]
    messages = [{"type": "variable", "message": {"variable_name": k, "variable_value": v}}
                for k, v in completed.items()]
    assert strict_node.outputs(messages)["token"] == ""


def test_empty_values_are_not_shared_between_calls():
    first = complete_outputs({}, {"items": "array"})
    first["items"].append(1)
    assert complete_outputs({}, {"items": "array"}) == {"items": []}


def test_text_ends_with_exactly_one_newline():
    assert line_ended("a") == "a\n"
    assert line_ended("a\n") == "a\n"
