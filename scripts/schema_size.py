#!/usr/bin/env python3
"""Build the function schema Dify sends to a model for our tools, print its size, check the budget.

Dify turns each plugin tool into one ``PromptMessageTool(name, description, parameters)``:

* ``description`` is the tool's ``description.llm``
  (langgenius/dify api/core/agent/base_agent_runner.py, ``_convert_tool_to_prompt_message_tool``);
* ``parameters`` comes from ``Tool.get_llm_parameters_json_schema``
  (langgenius/dify api/core/tools/__base/tool.py): ``{"type": "object", "properties": {},
  "required": []}``; a parameter whose ``form`` is not ``llm`` is left out, and so is one of type
  ``file`` / ``files`` / ``system-files``; every other one becomes ``{"type":
  as_normal_type(type), "description": llm_description or ""}`` (``select`` and
  ``secret-input`` are sent as ``"string"``: api/core/plugin/entities/parameters.py,
  ``as_normal_type``), plus ``"enum": [option values]`` for a ``select``; its name is appended
  to ``required`` when ``required`` is true. Labels, human descriptions, defaults and
  ``output_schema`` never reach the model.

Agent strategies (Dify's Agent node) build the same object with the SDK's
``AgentStrategy._convert_tool_to_prompt_message_tool`` (dify_plugin/interfaces/agent/strategy.py);
tests/unit/test_schema_size.py checks that both agree for every tool.

The size is the characters of that object serialised with ``json.dumps`` (Python's default
separators, non-ASCII kept), summed over every tool YAML the plugin has.

Usage: python scripts/schema_size.py [--budget N] [--json]     (exit 1 above the budget)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 13_000  # characters for all tools, issue 25
NOT_SENT_TYPES = {"file", "files", "system-files"}
SENT_AS_STRING = {"select", "secret-input"}


def tool_yaml_paths(root: Path = ROOT) -> list[Path]:
    """Every tool YAML: those the provider lists and any other tools/*.yaml."""
    provider = yaml.safe_load((root / "provider" / "google_calendar.yaml").read_text("utf-8"))
    listed = [root / rel for rel in provider.get("tools") or []]
    found = sorted((root / "tools").glob("*.yaml"))
    return listed + [path for path in found if path not in listed]


def parameter_schema(parameter: dict[str, Any]) -> dict[str, Any]:
    kind = parameter["type"]
    schema: dict[str, Any] = {
        "type": "string" if kind in SENT_AS_STRING else kind,
        "description": parameter.get("llm_description") or "",
    }
    if kind == "select" and parameter.get("options"):
        schema["enum"] = [option["value"] for option in parameter["options"]]
    return schema


def prompt_message_tool(declaration: dict[str, Any]) -> dict[str, Any]:
    """The ``PromptMessageTool`` Dify builds from one tool declaration."""
    parameters: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for parameter in declaration.get("parameters") or []:
        if parameter.get("form") != "llm" or parameter["type"] in NOT_SENT_TYPES:
            continue
        parameters["properties"][parameter["name"]] = parameter_schema(parameter)
        if parameter.get("required"):
            parameters["required"].append(parameter["name"])
    return {
        "name": declaration["identity"]["name"],
        "description": (declaration.get("description") or {}).get("llm") or "",
        "parameters": parameters,
    }


def function_schema(root: Path = ROOT) -> list[dict[str, Any]]:
    """Every ``PromptMessageTool`` of the plugin, in the provider's order."""
    return [prompt_message_tool(yaml.safe_load(path.read_text("utf-8")))
            for path in tool_yaml_paths(root)]


def schema_sizes(root: Path = ROOT) -> dict[str, int]:
    """Characters per tool, in the provider's order."""
    return {tool["name"]: len(json.dumps(tool, ensure_ascii=False))
            for tool in function_schema(root)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=BUDGET)
    parser.add_argument("--json", action="store_true", help="print the schema itself")
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(function_schema(), ensure_ascii=False, indent=1))
        return 0
    sizes = schema_sizes()
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"{name:<22} {size:>6}")
    total = sum(sizes.values())
    verdict = "OK" if total <= args.budget else "OVER BUDGET"
    print(f"{'total':<22} {total:>6} characters for {len(sizes)} tools "
          f"(budget {args.budget}): {verdict}")
    return 0 if total <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
