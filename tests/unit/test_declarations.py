"""manifest.yaml, the provider YAML and every tool YAML, checked with the SDK's own models.

Also: each declared source file holds exactly one SDK subclass (the SDK's loader rule), icons
exist, every user-facing text is translated (en_US, zh_Hans, ja_JP, pt_BR), tools and LLM
parameters are described for the model, and every tool declares an ``output_schema``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROVIDER_YAML = "provider/google_calendar.yaml"
LOCALES = ("en_US", "zh_Hans", "ja_JP", "pt_BR")
# Keys whose value is shown to people and therefore must be an i18n object.
I18N_KEYS = ("label", "human_description", "help", "placeholder")


def _load(rel: str) -> Any:
    with open(REPO / rel, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _provider_tool_paths() -> list[str]:
    try:
        return list(_load(PROVIDER_YAML).get("tools") or [])
    except Exception:  # reported by test_provider_yaml_loads_with_sdk_model
        return []


TOOL_PATHS = _provider_tool_paths()


@pytest.fixture
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The SDK resolves manifest/provider/tool paths relative to the working directory."""
    monkeypatch.chdir(REPO)
    monkeypatch.syspath_prepend(str(REPO))
    return REPO


# ----------------------------------------------------------------------------- SDK models
def test_manifest_loads_with_sdk_model(at_repo_root: Path) -> None:
    from dify_plugin.core.entities.plugin.setup import PluginConfiguration

    data = _load("manifest.yaml")
    config = PluginConfiguration(**data)
    assert config.name == "google_calendar"
    assert config.meta.runner.entrypoint == "main"
    assert str(config.meta.runner.version) == "3.12"
    assert config.plugins.tools == [PROVIDER_YAML]
    assert (REPO / "main.py").is_file()
    privacy = data.get("privacy")
    assert privacy, "manifest.yaml: privacy policy file not declared (marketplace requires it)"
    assert (REPO / privacy).is_file(), f"privacy file {privacy} missing"


def test_provider_yaml_loads_with_sdk_model(at_repo_root: Path) -> None:
    from dify_plugin.entities.tool import ToolProviderConfiguration

    provider = ToolProviderConfiguration(**_load(PROVIDER_YAML))
    assert provider.identity.name == "google_calendar"
    assert provider.oauth_schema is not None, "OAuth must be declared"
    assert [t.identity.name for t in provider.tools] == [Path(p).stem for p in TOOL_PATHS]
    assert TOOL_PATHS, "the provider declares no tools"


def test_provider_class_file_has_one_tool_provider(at_repo_root: Path) -> None:
    from dify_plugin.core.utils.class_loader import get_subclasses_from_module
    from dify_plugin.interfaces.tool import ToolProvider

    source = _load(PROVIDER_YAML)["extra"]["python"]["source"]
    assert (REPO / source).is_file(), f"{source} missing"
    module = importlib.import_module(Path(source).with_suffix("").as_posix().replace("/", "."))
    classes = get_subclasses_from_module(module, ToolProvider)
    assert len(classes) == 1, f"{source}: SDK needs exactly one ToolProvider subclass: {classes}"


def test_manifest_lists_an_existing_provider(at_repo_root: Path) -> None:
    for rel in _load("manifest.yaml")["plugins"]["tools"]:
        assert (REPO / rel).is_file(), f"manifest lists {rel}, which does not exist"


@pytest.mark.parametrize("tool_path", TOOL_PATHS)
def test_tool_yaml_loads_and_has_one_tool_class(tool_path: str, at_repo_root: Path) -> None:
    from dify_plugin.core.utils.class_loader import get_subclasses_from_module
    from dify_plugin.entities.tool import (
        ToolConfiguration,
        ToolConfigurationExtra,
        ToolDescription,
        ToolIdentity,
        ToolParameter,
    )
    from dify_plugin.interfaces.tool import Tool

    assert (REPO / tool_path).is_file(), f"{tool_path} is listed by the provider but missing"
    data = _load(tool_path)
    # Exactly how ToolProviderConfiguration.validate_tools builds it.
    tool = ToolConfiguration(
        identity=ToolIdentity(**data["identity"]),
        parameters=[ToolParameter(**p) for p in data.get("parameters", []) or []],
        description=ToolDescription(**data["description"]),
        extra=ToolConfigurationExtra(**data.get("extra", {})),
        output_schema=data.get("output_schema"),
    )
    assert tool.identity.name == Path(tool_path).stem, "tool name must match its file name"
    source = tool.extra.python.source
    assert (REPO / source).is_file(), f"{tool_path}: source {source} missing"
    module = importlib.import_module(Path(source).with_suffix("").as_posix().replace("/", "."))
    classes = get_subclasses_from_module(module, Tool)
    assert len(classes) == 1, (
        f"{source}: the SDK loads the single Tool subclass in the module namespace, found "
        f"{[c.__qualname__ for c in classes]}"
    )
    names = [p.name for p in tool.parameters]
    assert len(names) == len(set(names)), f"{tool_path}: duplicate parameter names {names}"


# ----------------------------------------------------------------------------- icons
def test_icons_exist_in_assets() -> None:
    manifest = _load("manifest.yaml")
    provider = _load(PROVIDER_YAML)
    icons = {
        ("manifest.yaml", "icon"): manifest.get("icon"),
        ("manifest.yaml", "icon_dark"): manifest.get("icon_dark"),
        (PROVIDER_YAML, "identity.icon"): provider["identity"].get("icon"),
        (PROVIDER_YAML, "identity.icon_dark"): provider["identity"].get("icon_dark"),
    }
    assert icons[("manifest.yaml", "icon")], "manifest has no icon"
    assert icons[(PROVIDER_YAML, "identity.icon")], "provider has no icon"
    for (file, key), icon in icons.items():
        if icon:
            assert (REPO / "_assets" / icon).is_file(), f"{file} {key}: _assets/{icon} missing"


# ----------------------------------------------------------------------------- i18n
def _i18n_problems(node: Any, path: str) -> Iterator[str]:
    """Yield 'key.path: problem' for every user-facing text that is not fully translated."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _i18n_problems(item, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        here = f"{path}.{key}" if path else str(key)
        if key == "output_schema":
            continue  # JSON Schema: plain-text descriptions for workflow builders
        if key in I18N_KEYS or (key == "description" and _looks_i18n(value)):
            yield from _check_locales(value, here)
        elif key == "description" and isinstance(value, dict) and "human" in value:
            yield from _check_locales(value["human"], f"{here}.human")
        else:
            yield from _i18n_problems(value, here)


def _looks_i18n(value: Any) -> bool:
    return isinstance(value, dict) and any(loc in value for loc in (*LOCALES, "en_US"))


def _check_locales(value: Any, path: str) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path}: expected an i18n object with {', '.join(LOCALES)}, got {value!r}"
        return
    for loc in LOCALES:
        text = value.get(loc)
        if not isinstance(text, str) or not text.strip():
            yield f"{path}.{loc}: missing or empty"


@pytest.mark.parametrize("rel", ["manifest.yaml", PROVIDER_YAML, *TOOL_PATHS])
def test_every_user_facing_text_is_translated(rel: str) -> None:
    problems = list(_i18n_problems(_load(rel), ""))
    assert not problems, f"{rel}: untranslated texts:\n  " + "\n  ".join(problems)


# ----------------------------------------------------------------------------- LLM-facing
@pytest.mark.parametrize("tool_path", TOOL_PATHS)
def test_tool_is_described_for_the_model(tool_path: str) -> None:
    data = _load(tool_path)
    llm = (data.get("description") or {}).get("llm")
    assert isinstance(llm, str) and llm.strip(), f"{tool_path}: description.llm missing"
    missing = [
        f"parameters[{i}] ({p.get('name')})"
        for i, p in enumerate(data.get("parameters") or [])
        if p.get("form") == "llm" and not str(p.get("llm_description") or "").strip()
    ]
    assert not missing, f"{tool_path}: llm parameters without llm_description: {missing}"


@pytest.mark.parametrize("tool_path", TOOL_PATHS)
def test_tool_declares_an_output_schema(tool_path: str) -> None:
    from jsonschema.validators import validator_for

    schema = _load(tool_path).get("output_schema")
    assert isinstance(schema, dict) and schema, f"{tool_path}: output_schema missing"
    assert schema.get("type") == "object", f"{tool_path}: output_schema.type must be object"
    assert schema.get("properties"), f"{tool_path}: output_schema has no properties"
    validator_for(schema).check_schema(schema)


_FILE_TYPES = {"file", "files", "system-files"}


@pytest.mark.parametrize("tool_path", TOOL_PATHS)
def test_no_required_file_parameter_locks_the_tool_out_of_agents(tool_path: str) -> None:
    """Dify refuses a tool in agent apps when a file-type parameter is required ("file type
    parameter ... not supported in agent": api/core/tools/tool_manager.py,
    get_agent_tool_runtime); optional ones are left out of the model's function schema."""
    required_files = [p.get("name") for p in _load(tool_path).get("parameters") or []
                      if p.get("type") in _FILE_TYPES and p.get("required")]
    assert not required_files, f"{tool_path}: required file parameters {required_files}"
