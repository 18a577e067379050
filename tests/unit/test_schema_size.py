"""The function schema Dify sends to the model: built like Dify builds it, and within budget."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from scripts import schema_size

REPO = Path(__file__).resolve().parents[2]


def test_schema_follows_difys_rules_for_plugin_parameters() -> None:
    declaration = {
        "identity": {"name": "demo"},
        "description": {"human": {"en_US": "not sent"}, "llm": "Does a thing."},
        "parameters": [
            {"name": "when", "type": "string", "form": "llm", "required": True,
             "label": {"en_US": "When"}, "llm_description": "A time."},
            {"name": "kind", "type": "select", "form": "llm", "llm_description": "Kind.",
             "options": [{"value": "a", "label": {"en_US": "A"}},
                         {"value": "b", "label": {"en_US": "B"}}]},
            {"name": "count", "type": "number", "form": "llm", "default": 3},
            {"name": "token", "type": "secret-input", "form": "llm", "llm_description": "T."},
            {"name": "set_by_user", "type": "string", "form": "form", "llm_description": "x"},
            {"name": "upload", "type": "file", "form": "llm", "llm_description": "x"},
        ],
    }
    assert schema_size.prompt_message_tool(declaration) == {
        "name": "demo",
        "description": "Does a thing.",
        "parameters": {
            "type": "object",
            "properties": {
                "when": {"type": "string", "description": "A time."},
                "kind": {"type": "string", "description": "Kind.", "enum": ["a", "b"]},
                "count": {"type": "number", "description": ""},
                "token": {"type": "string", "description": "T."},
            },
            "required": ["when"],
        },
    }


@pytest.mark.parametrize("path", schema_size.tool_yaml_paths(), ids=lambda path: path.stem)
def test_schema_equals_the_sdks_own_agent_conversion(path: Path) -> None:
    """Agent strategies (Dify's Agent node) convert tools with the SDK's
    ``AgentStrategy._convert_tool_to_prompt_message_tool``; it must give the same schema."""
    declaration = yaml.safe_load(path.read_text("utf-8"))
    assert _sdk_tool(path) == schema_size.prompt_message_tool(declaration)


def test_every_tool_yaml_is_counted() -> None:
    counted = set(schema_size.schema_sizes())
    on_disk = {path.stem for path in (REPO / "tools").glob("*.yaml")}
    assert counted == on_disk


def test_whole_schema_fits_the_budget() -> None:
    """What CI runs: the script prints the figure and fails above 13,000 characters."""
    run = subprocess.run([sys.executable, "scripts/schema_size.py"], cwd=REPO,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "budget 13000" in run.stdout


def _sdk_tool(path: Path) -> dict:
    """One tool as the SDK's own agent conversion builds it (independent of the script)."""
    from dify_plugin.interfaces.agent.strategy import AgentStrategy, ToolEntity

    declaration = yaml.safe_load(path.read_text("utf-8"))
    entity = ToolEntity(identity={**declaration["identity"], "provider": "google_calendar"},
                        parameters=declaration.get("parameters") or [],
                        description=declaration["description"])
    strategy = SimpleNamespace()
    strategy._set_prompt_tool_parameter = functools.partial(
        AgentStrategy._set_prompt_tool_parameter, strategy)
    return AgentStrategy._convert_tool_to_prompt_message_tool(strategy, entity).model_dump()


def test_the_printed_total_is_the_exact_sum_of_what_dify_sends() -> None:
    """Counted independently: every tool YAML on disk through the SDK's conversion, each
    serialised the way the script says (json.dumps, default separators), summed. Counting one
    tool only, compact JSON or a skipped tool all show here."""
    tools = [_sdk_tool(path) for path in sorted((REPO / "tools").glob("*.yaml"))]
    per_tool = {tool["name"]: len(json.dumps(tool, ensure_ascii=False)) for tool in tools}
    run = subprocess.run([sys.executable, "scripts/schema_size.py"], cwd=REPO,
                         capture_output=True, text=True, timeout=60, check=False)
    printed = dict(line.split()[:2] for line in run.stdout.splitlines()
                   if line and not line.startswith("total"))
    assert {name: int(size) for name, size in printed.items()} == per_tool
    total = re.search(r"^total\s+(\d+) characters for (\d+) tools", run.stdout, re.M)
    assert total, run.stdout
    assert (int(total[1]), int(total[2])) == (sum(per_tool.values()), len(per_tool))
    assert sum(schema_size.schema_sizes().values()) == sum(per_tool.values())


def test_script_fails_above_the_budget() -> None:
    run = subprocess.run([sys.executable, "scripts/schema_size.py", "--budget", "100"],
                         cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 1
    assert "OVER BUDGET" in run.stdout


def test_benchmark_reports_the_schema_and_fails_it_above_budget() -> None:
    from bench import report

    measured = {"per_tool": {"a": 900, "b": 200}, "characters": 1100, "budget": 1000,
                "tokens": {"o200k_base": 300, "cl100k_base": 310}}
    assert report._schema_failures(measured) == [
        "function schema 1100 characters (target ≤ 1000)"]
    assert report._schema_failures({**measured, "budget": 1100}) == []
    table = "\n".join(report._schema_table(measured))
    assert "| a | 900 |" in table and "**1100**" in table and "FAIL" in table


def _sent_tools() -> list[dict]:
    return schema_size.function_schema()


def test_tool_descriptions_stay_short() -> None:
    long = {tool["name"]: len(tool["description"]) for tool in _sent_tools()
            if len(tool["description"]) > 450}
    assert not long, long


def test_prose_does_not_repeat_what_dify_already_sends() -> None:
    """`required` and `enum` reach the model as schema: no "Optional:" prefixes, no enum lists."""
    repeated = []
    for tool in _sent_tools():
        for name, schema in tool["parameters"]["properties"].items():
            text = schema["description"]
            if text.lower().startswith(("optional", "required")):
                repeated.append(f"{tool['name']}.{name}: {text!r}")
            enum = schema.get("enum") or []
            if len(enum) > 1 and all(value in text for value in enum):
                repeated.append(f"{tool['name']}.{name} lists its enum: {text!r}")
    assert not repeated, "\n".join(repeated)
