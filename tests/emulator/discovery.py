"""Calendar v3 discovery document: routing, parameter and body validation.

Everything here is driven by the discovery document shipped in the
google-api-python-client wheel, so the emulator accepts exactly what Google accepts.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema

from .errors import ApiError, bad_request, invalid_parameter, required
from .timeutil import parse_date, parse_datetime

SERVICE_PREFIX = "/calendar/v3/"
INT32_MAX = 2**31 - 1
# Query parameters Google accepts on every method besides those in the document.
EXTRA_GLOBAL_PARAMS = {
    "access_token": {"type": "string", "location": "query"},
    "$.xgafv": {"type": "string", "location": "query"},
    "callback": {"type": "string", "location": "query"},
}


def discovery_path() -> Path:
    import googleapiclient

    return (
        Path(googleapiclient.__file__).parent
        / "discovery_cache"
        / "documents"
        / "calendar.v3.json"
    )


@cache
def document() -> dict[str, Any]:
    return json.loads(discovery_path().read_text(encoding="utf-8"))


@dataclass
class Method:
    id: str  # e.g. "calendar.events.list"
    resource: str
    name: str
    http_method: str
    template: list[str]
    parameters: dict[str, dict[str, Any]]
    scopes: list[str]
    request_ref: str | None
    literal_count: int = field(init=False)

    def __post_init__(self) -> None:
        self.literal_count = sum(1 for seg in self.template if not seg.startswith("{"))

    @property
    def key(self) -> str:
        """'events.list' style key."""
        return f"{self.resource}.{self.name}"


@cache
def methods() -> list[Method]:
    doc = document()
    out: list[Method] = []

    def walk(resources: dict[str, Any], prefix: str) -> None:
        for rname, res in resources.items():
            full = f"{prefix}{rname}"
            for mname, m in res.get("methods", {}).items():
                out.append(
                    Method(
                        id=m["id"],
                        resource=full,
                        name=mname,
                        http_method=m["httpMethod"],
                        template=(m.get("flatPath") or m["path"]).split("/"),
                        parameters=m.get("parameters", {}),
                        scopes=m.get("scopes", []),
                        request_ref=(m.get("request") or {}).get("$ref"),
                    )
                )
            walk(res.get("resources", {}), full + ".")

    walk(doc["resources"], "")
    # Prefer templates with more literal segments ("events/quickAdd" before "events/{id}").
    out.sort(key=lambda m: -m.literal_count)
    return out


def route(http_method: str, raw_path: str) -> tuple[Method, dict[str, str]] | None:
    """Match a raw (percent-encoded) path to a discovery method.

    Path parameters are decoded per segment, so ``%23`` and ``%2F`` inside a
    calendar id survive.
    """
    if not raw_path.startswith(SERVICE_PREFIX):
        return None
    segments = raw_path[len(SERVICE_PREFIX):].split("/")
    for m in methods():
        if m.http_method != http_method or len(m.template) != len(segments):
            continue
        params: dict[str, str] = {}
        for tseg, seg in zip(m.template, segments, strict=True):
            if tseg.startswith("{"):
                if not seg:
                    break
                params[tseg.strip("{}+")] = unquote(seg)
            elif tseg != seg:
                break
        else:
            return m, params
    return None


def path_matches_any_method(raw_path: str) -> bool:
    return any(route(verb, raw_path) for verb in ("GET", "POST", "PUT", "PATCH", "DELETE"))


# --------------------------------------------------------------------------- parameters

_INT_RE = re.compile(r"^-?\d+$")


def _convert(name: str, spec: dict[str, Any], raw: str) -> Any:
    ptype = spec.get("type", "string")
    if ptype == "integer":
        if not _INT_RE.match(raw):
            raise invalid_parameter(
                name,
                f"Invalid value '{raw}'. Values must match the following regular expression: "
                "'-?\\d+'",
            )
        val = int(raw)
        lo = int(spec.get("minimum", -(2**31)))
        hi = int(spec.get("maximum", INT32_MAX))
        if not lo <= val <= hi:
            raise invalid_parameter(
                name, f"Invalid value '{raw}'. Values must be within the range: [{lo}, {hi}]"
            )
        return val
    if ptype == "boolean":
        low = raw.lower()
        if low not in ("true", "false"):
            raise invalid_parameter(
                name,
                f"Invalid value '{raw}'. Values must match the following regular expression: "
                "'true|false'",
            )
        return low == "true"
    if "enum" in spec and raw not in spec["enum"]:
        raise invalid_parameter(
            name,
            f"Invalid value '{raw}'. Values must match one of: "
            + ", ".join(spec["enum"]),
        )
    if spec.get("format") == "date-time":
        try:
            return parse_datetime(raw, require_offset=True)
        except ValueError:
            # Google answers a malformed timeMin/timeMax with a bare "Bad Request".
            raise bad_request() from None
    return raw


def validate_params(
    m: Method, path_params: dict[str, str], query: dict[str, list[str]]
) -> dict[str, Any]:
    """Type-check query parameters against the discovery document.

    Returns a dict name -> converted value (lists for repeated parameters).
    """
    globals_ = {**document()["parameters"], **EXTRA_GLOBAL_PARAMS}
    out: dict[str, Any] = dict(path_params)
    for name, values in query.items():
        spec = m.parameters.get(name) or globals_.get(name)
        if spec is None or spec.get("location") == "path":
            raise invalid_parameter(name, f"Invalid parameter: '{name}'. Unknown parameter.")
        if len(values) > 1 and not spec.get("repeated"):
            raise invalid_parameter(
                name, f"Invalid parameter: '{name}'. Parameter cannot be repeated."
            )
        converted = [_convert(name, spec, v) for v in values]
        out[name] = converted if spec.get("repeated") else converted[0]
    for name, spec in m.parameters.items():
        if spec.get("required") and name not in out:
            raise required(
                f"Required parameter: {name}", location=name, location_type="parameter"
            )
    return out


# --------------------------------------------------------------------------- bodies


def _to_jsonschema(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return {"$ref": f"#/definitions/{node['$ref']}"}
    t = node.get("type")
    out: dict[str, Any] = {}
    if t == "object":
        out["type"] = "object"
        if "properties" in node:
            out["properties"] = {k: _to_jsonschema(v) for k, v in node["properties"].items()}
        if "additionalProperties" in node:
            out["additionalProperties"] = _to_jsonschema(node["additionalProperties"])
        elif "properties" in node:
            out["additionalProperties"] = False
    elif t == "array":
        out["type"] = "array"
        if "items" in node:
            out["items"] = _to_jsonschema(node["items"])
    elif t == "integer":
        out["type"] = "integer"
        if node.get("format") == "int32":
            out["minimum"] = -(2**31)
            out["maximum"] = INT32_MAX
    elif t == "number":
        out["type"] = "number"
    elif t == "boolean":
        out["type"] = "boolean"
    elif t == "string":
        out["type"] = "string"
        fmt = node.get("format")
        if fmt in ("date-time", "date"):
            out["format"] = fmt
        elif fmt in ("int64", "uint64"):
            out["pattern"] = r"^-?\d+$"
        if "enum" in node:
            out["enum"] = node["enum"]
    # "any" -> no constraint
    return out


@cache
def _definitions() -> dict[str, Any]:
    return {name: _to_jsonschema(s) for name, s in document()["schemas"].items()}


_format_checker = jsonschema.FormatChecker(formats=())


@_format_checker.checks("date-time", raises=ValueError)
def _check_dt(value: object) -> bool:
    # Offsets are optional here: EventDateTime.dateTime may omit it when timeZone is given.
    if isinstance(value, str):
        parse_datetime(value)
    return True


@_format_checker.checks("date", raises=ValueError)
def _check_date(value: object) -> bool:
    if isinstance(value, str):
        parse_date(value)
    return True


@cache
def _validator(method_id: str, ref: str) -> jsonschema.Draft7Validator:
    schema = copy.deepcopy(_definitions()[ref])
    req = [
        prop
        for prop, spec in document()["schemas"][ref].get("properties", {}).items()
        if method_id in spec.get("annotations", {}).get("required", [])
    ]
    if req:
        schema["required"] = req
    schema["definitions"] = _definitions()
    return jsonschema.Draft7Validator(schema, format_checker=_format_checker)


def _json_path(path: Any) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _strip_nulls(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_strip_nulls(v) for v in node]
    return node


def validate_body(m: Method, body: Any) -> None:
    """Validate a JSON body against the method's request schema (strict)."""
    if not m.request_ref:
        return
    if not isinstance(body, dict):
        raise ApiError(400, "parseError", "Parse Error")
    if m.http_method == "PATCH":
        body = _strip_nulls(body)  # PATCH may send null to clear a field
    validator = _validator(m.id, m.request_ref)
    errors = sorted(validator.iter_errors(body), key=lambda e: (len(e.path), str(e.path)))
    if not errors:
        return
    err = errors[0]
    where = _json_path(err.absolute_path)
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else "field"
        if missing in ("start", "end"):
            raise required(f"Missing {missing} time.")
        raise required(f"Required: {_json_path([*err.absolute_path, missing])}")
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        name = extra[0] if extra else "?"
        at = where or m.request_ref
        raise ApiError(
            400,
            "invalid",
            f'Invalid JSON payload received. Unknown name "{name}" at \'{at}\': '
            "Cannot find field.",
        )
    raise ApiError(400, "invalid", f"Invalid value for: {where or 'body'}")
