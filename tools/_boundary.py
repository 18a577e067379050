"""What every tool answer must look like by the time it reaches Dify (no Dify imports here).

* Every property of the tool's `output_schema` is emitted on every success. A workflow Tool
  node exposes `text`, `files`, `json` and one output per variable message it received
  (api/core/workflow/nodes/tool/tool_node.py, `_transform_message`), so a declared output
  that is not emitted makes a later node fail with "Variable ... not found".
* No variable is ever `None`: Dify's `ToolInvokeMessage.VariableMessage` accepted only
  dict/list/str/int/float/bool until a later release also allowed None
  (api/core/tools/entities/tool_entities.py, `transform_variable_value`); on older hosts a
  None value makes the whole call fail to parse. "Nothing" is therefore the empty value of
  the declared type.
* Text ends with a newline, so whatever Dify appends after it (a file path, JSON, other
  messages: `ToolEngine._convert_tool_response_to_str` joins parts with no separator)
  stands on its own line.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

_TOOLS_DIR = Path(__file__).resolve().parent

# The empty value of each JSON-schema type that every Dify version accepts as a variable.
_EMPTY = {"string": "", "array": [], "object": {}, "boolean": False, "integer": 0, "number": 0}


@cache  # read once per tool and process, not on every call
def declared_outputs(tool_module: str) -> Mapping[str, str]:
    """`{output name: JSON type}` from `tools/<name>.yaml` for the tool module `tools.<name>`."""
    name = tool_module.rsplit(".", 1)[-1]
    declaration = yaml.safe_load((_TOOLS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    properties = (declaration.get("output_schema") or {}).get("properties") or {}
    return MappingProxyType({key: str(spec.get("type") or "string")
                             for key, spec in properties.items()})


def complete_outputs(data: Mapping[str, Any], declared: Mapping[str, str]) -> dict[str, Any]:
    """`data` with every declared output present and no None, in declaration order first."""
    completed = {name: data.get(name) for name in declared}
    completed.update((name, value) for name, value in data.items() if name not in declared)
    return {
        name: _empty(declared.get(name, "string")) if value is None else value
        for name, value in completed.items()
    }


def _empty(kind: str) -> Any:
    empty = _EMPTY.get(kind, "")
    return type(empty)() if isinstance(empty, list | dict) else empty


def line_ended(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
