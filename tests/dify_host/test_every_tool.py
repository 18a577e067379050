"""Every tool under every Dify reader: what the model reads, what a workflow gets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.dify_host.conftest import TOOLS
from tests.dify_host.readers import (
    AGENT_APPS,
    AGENT_NODES,
    TOOL_NODES,
    VariableNotFound,
    workflow_variable,
)
from tests.plugin_process import REPO_ROOT
from tools._boundary import declared_outputs

CURRENT_AGENT_APP, CURRENT_AGENT_NODE = AGENT_APPS[-1], AGENT_NODES[-1]
OLD_AGENT_APP = AGENT_APPS[0]
FILE_TOOLS = {"export_events_ics"}
# The first Dify release after langgenius/dify#34962 (merged 2026-04-11; 1.13.3 predates it).
FIRST_RELEASE_HIDING_VARIABLES = (1, 14, 0)


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("node", TOOL_NODES, ids=lambda n: n.name)
def test_workflow_gets_every_declared_output(every_tool, tool, node):
    outputs = node.outputs(every_tool[tool].messages)
    for name, kind in declared_outputs(f"tools.{tool}").items():
        value = workflow_variable(outputs, tool, name)
        assert value is not None, f"{tool}.{name} is null"
        expected = {"string": str, "array": list, "object": dict, "boolean": bool,
                    "integer": int, "number": int | float}[kind]
        assert isinstance(value, expected), f"{tool}.{name}: {value!r} is not {kind}"
    assert outputs["text"].strip()
    assert len(outputs["files"]) == (1 if tool in FILE_TOOLS else 0)


def test_an_undeclared_output_is_not_found(every_tool):
    outputs = TOOL_NODES[0].outputs(every_tool["list_events"].messages)
    with pytest.raises(VariableNotFound, match=r"Variable list_events\.nope not found"):
        workflow_variable(outputs, "list_events", "nope")


def test_paging_and_warnings_exist_when_there_are_none(every_tool):
    outputs = TOOL_NODES[0].outputs(every_tool["list_events"].messages)
    assert outputs["next_page_token"] == "" and outputs["warnings"] == []
    assert outputs["count"] == 6  # five own events and Bob's invitation


@pytest.mark.parametrize("tool", TOOLS)
def test_current_agents_read_the_text_only(every_tool, tool):
    result = every_tool[tool]
    assert result.text.endswith("\n")
    if tool in FILE_TOOLS:
        assert CURRENT_AGENT_APP.view(result.messages).startswith(result.text)
        assert CURRENT_AGENT_APP.files_shown_to_user(result.messages) == 1
        return
    assert CURRENT_AGENT_APP.view(result.messages) == result.text
    assert CURRENT_AGENT_NODE.view(result.messages) == result.text


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("reader", [OLD_AGENT_APP, *AGENT_NODES[:2]], ids=lambda r: r.name)
def test_old_agents_read_the_variables_after_the_text(every_tool, tool, reader):
    result = every_tool[tool]
    view = reader.view(result.messages)
    if tool in FILE_TOOLS and not getattr(reader, "sdk_knows_binary_link", True):
        assert view.startswith("tool invoke error:") and "binary_link" in view
        return
    assert view.startswith(result.text)
    for name in declared_outputs(f"tools.{tool}"):
        assert f"variable_name='{name}'" in view


def test_file_path_stands_on_its_own_line_where_no_card_is_shown(every_tool):
    result = every_tool["export_events_ics"]
    for app in AGENT_APPS[:2]:
        view = app.view(result.messages)
        assert app.files_shown_to_user(result.messages) == 0
        assert "\ntext='/files/tools/" in view
    assert "files" in result.text  # the text tells where the file is when no card shows it


def test_old_agent_cost_of_list_tools(every_tool, record_property):
    """Measured, not assumed: how much longer the 1.7.0-1.13.3 agent view is than the text."""
    ratios = {}
    for tool in ("list_events", "list_calendars", "find_free_slots"):
        result = every_tool[tool]
        ratios[tool] = len(OLD_AGENT_APP.view(result.messages)) / len(result.text)
        record_property(f"old_agent_ratio_{tool}", round(ratios[tool], 2))
    # Over 2x the text: the README's compatibility table says so for the releases between the
    # minimum (the lowest the plugin works on, issue 27) and the first that hides variables.
    assert ratios["list_events"] > 2
    manifest = yaml.safe_load((Path(REPO_ROOT) / "manifest.yaml").read_text(encoding="utf-8"))
    minimum = str(manifest["meta"]["minimum_dify_version"])
    assert tuple(int(part) for part in minimum.split(".")) < FIRST_RELEASE_HIDING_VARIABLES
    readme = (Path(REPO_ROOT) / "README.md").read_text(encoding="utf-8")
    compatibility = readme[readme.index("### Compatibility"):]
    assert f"Requires Dify {minimum} or later" in readme
    assert f"| {minimum} " in compatibility and "variable_name=" in compatibility
