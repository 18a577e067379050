"""What each Dify reader makes of a tool's messages: small re-implementations of Dify's code.

Fed with the real messages of the real plugin process (``ToolResult.messages``: dicts as the
daemon forwards them, blob chunks already joined). Each reader cites the Dify code it follows;
the host variants are named by the change that distinguishes them, not by guessed versions.

* Agent apps (``ToolEngine._convert_tool_response_to_str``, api/core/tools/tool_engine.py,
  1.7.0-1.13.3): text verbatim; links/images as fixed sentences; JSON appended unless equal
  to a text part; every other message as ``str(message)`` (pydantic's field listing), all
  joined with no separator. A blob was stored by Dify as a tool file first and arrives as a
  ``binary_link`` whose ``str`` is ``text='/files/tools/<id>.<ext>'``. langgenius/dify PR
  #34962 (merged 2026-04-11, after 1.13.3) skips variable messages; PR #36746 (2026-05-28)
  shows tool files as a card in agent apps.
* Workflow Agent node (agent-strategy plugins, langgenius/dify-official-plugins
  agent-strategies/cot_agent/strategies/function_calling.py and ReAct.py): text verbatim,
  JSON as ``tool response: <json>.``, anything else as ``tool response: <repr>.``; from
  strategies 0.0.42 (2026-08-01) variables are skipped. The strategy's SDK parses each
  message; SDKs before 2026-08-07 have no ``binary_link`` message type, so a file makes the
  whole tool result a parse error (``tool invoke error: ...``).
* Workflow Tool node (api/core/workflow/nodes/tool/tool_node.py, ``_transform_message``):
  outputs ``text`` (texts joined), ``files``, ``json`` (``[{"data": []}]`` when none) and
  one output per variable message. Older hosts validate each variable value as
  dict/list/str/int/float/bool (api/core/tools/entities/tool_entities.py,
  ``transform_variable_value``): a None value fails the whole call; ``json``, ``text`` and
  ``files`` are reserved variable names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IMAGE_SENTENCE = (
    "image has been created and sent to user already, "
    "you do not need to create it, just tell the user to check it now."
)
RESERVED_VARIABLES = frozenset({"json", "text", "files"})


class HostParseError(Exception):
    """Dify could not even parse what the plugin sent: the call fails as a whole."""


class VariableNotFound(KeyError):
    """A later workflow node referenced an output the Tool node never produced."""


# ----------------------------------------------------------------------------- helpers


def _body(message: Mapping[str, Any]) -> Mapping[str, Any]:
    return message.get("message") or {}


def _pydantic_str(**fields: Any) -> str:
    """``str(model)`` of a pydantic v2 model: ``name=repr(value)`` pairs joined by spaces."""
    return " ".join(f"{name}={value!r}" for name, value in fields.items())


def _pydantic_repr(model: str, **fields: Any) -> str:
    return f"{model}({', '.join(f'{name}={value!r}' for name, value in fields.items())})"


def tool_file_url(message: Mapping[str, Any], index: int) -> str:
    """The URL Dify gives a stored tool file: ``/files/tools/<tool_file_id><extension>``."""
    filename = str((message.get("meta") or {}).get("filename") or "")
    return f"/files/tools/tool-file-{index}{Path(filename).suffix or '.bin'}"


def _is_image(message: Mapping[str, Any]) -> bool:
    return str((message.get("meta") or {}).get("mime_type") or "").startswith("image/")


def _variable_fields(message: Mapping[str, Any]) -> dict[str, Any]:
    body = _body(message)
    return {"variable_name": body.get("variable_name"),
            "variable_value": body.get("variable_value"),
            "stream": bool(body.get("stream"))}


# ----------------------------------------------------------------------------- agent app


@dataclass(frozen=True)
class AgentApp:
    name: str
    hides_variables: bool
    shows_file_card: bool

    def view(self, messages: Iterable[Mapping[str, Any]]) -> str:
        """What the agent's model reads for one successful tool call."""
        parts: list[str] = []
        json_parts: list[str] = []
        files = 0
        for message in messages:
            kind, body = message.get("type"), _body(message)
            if kind == "text":
                parts.append(body.get("text", ""))
            elif kind == "link":
                parts.append(f"result link: {body.get('text', '')}. please tell user to check it.")
            elif kind in ("image", "image_link"):
                parts.append(IMAGE_SENTENCE)
            elif kind == "json":
                if not body.get("suppress_output"):
                    json_parts.append(json.dumps(body.get("json_object"), ensure_ascii=False))
            elif kind == "variable":
                if not self.hides_variables:
                    parts.append(_pydantic_str(**_variable_fields(message)))
            elif kind == "blob":  # stored as a tool file: an image_link or a binary_link
                files += 1
                parts.append(IMAGE_SENTENCE if _is_image(message)
                             else _pydantic_str(text=tool_file_url(message, files)))
            else:
                parts.append(str(body))
        existing = set(parts)
        parts.extend(p for p in json_parts if p not in existing)
        return "".join(parts)

    def files_shown_to_user(self, messages: Iterable[Mapping[str, Any]]) -> int:
        return sum(1 for m in messages if m.get("type") == "blob") if self.shows_file_card else 0

    @staticmethod
    def error_view(raw_error: Mapping[str, Any]) -> str:
        """A failed call: Dify's PluginInvokeError carries the daemon's error object
        (``{error_type, message, args: {traceback}}``) as JSON, and the agent's model reads
        ``tool invoke error: <that>`` (ToolEngine.agent_invoke; issue 12)."""
        return f"tool invoke error: PluginInvokeError: {json.dumps(dict(raw_error))}"


AGENT_APPS = (
    AgentApp("agent app 1.7.0-1.13.3", hides_variables=False, shows_file_card=False),
    AgentApp("agent app after PR #34962", hides_variables=True, shows_file_card=False),
    AgentApp("agent app after PR #36746", hides_variables=True, shows_file_card=True),
)


# ----------------------------------------------------------------------------- agent node


@dataclass(frozen=True)
class AgentNode:
    name: str
    hides_variables: bool
    sdk_knows_binary_link: bool

    def view(self, messages: Iterable[Mapping[str, Any]]) -> str:
        """The tool response an Agent node's strategy puts in front of its model."""
        result = ""
        files = 0
        for message in messages:
            kind, body = message.get("type"), _body(message)
            if kind == "text":
                result += body.get("text", "")
            elif kind == "link":
                result += f"result link: {body.get('text', '')}. please tell user to check it."
            elif kind in ("image", "image_link"):
                result += IMAGE_SENTENCE
            elif kind == "json":
                payload = json.dumps(body.get("json_object"), ensure_ascii=False)
                result += f"tool response: {payload}."
            elif kind == "variable":
                if not self.hides_variables:
                    fields = _variable_fields(message)
                    result += f"tool response: {_pydantic_repr('VariableMessage', **fields)}."
            elif kind == "blob":
                files += 1
                if not self.sdk_knows_binary_link:
                    return ("tool invoke error: 1 validation error for ToolInvokeMessage\ntype\n"
                            "  Input should be 'text', 'image', 'link', 'blob', 'json', "
                            "'image_link', 'variable', 'file' or 'log' "
                            "[type=enum, input_value='binary_link', input_type=str]")
                text = _pydantic_repr("TextMessage", text=tool_file_url(message, files))
                result += f"tool response: {text}."
        return result


AGENT_NODES = (
    AgentNode("agent node, strategies < 0.0.42, SDK < 2026-08-07", hides_variables=False,
              sdk_knows_binary_link=False),
    AgentNode("agent node, strategies < 0.0.42, SDK >= 2026-08-07", hides_variables=False,
              sdk_knows_binary_link=True),
    AgentNode("agent node, strategies >= 0.0.42", hides_variables=True,
              sdk_knows_binary_link=True),
)


# ----------------------------------------------------------------------------- tool node


@dataclass(frozen=True)
class ToolNode:
    name: str
    accepts_none_variables: bool

    def outputs(self, messages: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        text = ""
        files: list[dict[str, Any]] = []
        json_objects: list[Any] = []
        variables: dict[str, Any] = {}
        for message in messages:
            kind, body = message.get("type"), _body(message)
            if kind == "text":
                text += body.get("text", "")
            elif kind == "blob":
                meta = message.get("meta") or {}
                files.append({"filename": meta.get("filename"), "mime_type": meta.get("mime_type"),
                              "size": len(body.get("blob") or b"")})
            elif kind == "json":
                if not isinstance(body.get("json_object"), dict):
                    raise HostParseError("json_object must be a dict on this host")
                json_objects.append(body["json_object"])
            elif kind == "variable":
                name, value = body.get("variable_name"), body.get("variable_value")
                self._check_variable(name, value)
                if body.get("stream") and isinstance(variables.get(name), str):
                    variables[name] += value
                else:
                    variables[name] = value
        return {"text": text, "files": files, "json": json_objects or [{"data": []}],
                **variables}

    def _check_variable(self, name: Any, value: Any) -> None:
        if name in RESERVED_VARIABLES:
            raise HostParseError(f"The variable name '{name}' is reserved.")
        if value is None and not self.accepts_none_variables:
            raise HostParseError("Only basic types and lists are allowed.")
        if value is not None and not isinstance(value, dict | list | str | int | float | bool):
            raise HostParseError("Only basic types and lists are allowed.")


TOOL_NODES = (
    ToolNode("tool node, strict variable values", accepts_none_variables=False),
    ToolNode("tool node, None allowed", accepts_none_variables=True),
)


def workflow_variable(outputs: Mapping[str, Any], node: str, name: str) -> Any:
    """A later node (IF/ELSE, template) reading ``{{#node.name#}}``."""
    if name not in outputs:
        raise VariableNotFound(f"Variable {node}.{name} not found")
    return outputs[name]
