#!/usr/bin/env python3
"""Build the .difypkg the way Dify's packager (`dify plugin package`) does.

A .difypkg is a zip of the plugin root: every file not excluded by the root `.difyignore`
(gitignore semantics; `.gitignore` is the fallback when there is no `.difyignore`), stored under
its relative POSIX path. `.git/` is always excluded. Packages over 50 MB are refused.

On top of Dify's behaviour this helper is deterministic (sorted entries, fixed timestamps) and
checks, before writing, that the manifest validates with the SDK's own model and that every file
the manifest refers to (provider and tool YAMLs, their Python sources, icons, privacy policy,
entry point, requirements) is inside the package.

Usage: python scripts/package.py [--root DIR] [--output FILE] [--max-size-mb 50]
Prints the path of the written package.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import yaml

ROOT = Path(__file__).resolve().parent.parent
MAX_SIZE_MB = 50
FIXED_DATE = (2020, 1, 1, 0, 0, 0)
ALWAYS_EXCLUDED = {".git"}


class PackageError(Exception):
    pass


def load_ignore_spec(root: Path):  # -> pathspec.GitIgnoreSpec
    import pathspec

    for name in (".difyignore", ".gitignore"):
        path = root / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return pathspec.GitIgnoreSpec.from_lines(lines)
    return pathspec.GitIgnoreSpec.from_lines([])


def iter_package_files(root: Path) -> list[str]:
    """Relative POSIX paths of the files that go into the package, sorted."""
    spec = load_ignore_spec(root)
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        kept_dirs = []
        for d in sorted(dirnames):
            rel = (rel_dir / d).as_posix()
            if d in ALWAYS_EXCLUDED or spec.match_file(rel + "/"):
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                continue  # never follow symlinked directories out of the plugin root
            kept_dirs.append(d)
        dirnames[:] = kept_dirs
        for f in sorted(filenames):
            rel = (rel_dir / f).as_posix()
            full = Path(dirpath) / f
            if spec.match_file(rel) or not full.is_file():
                continue
            files.append(rel)
    return sorted(files)


def _load_yaml(root: Path, rel: str) -> dict:
    with open(root / rel, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def referenced_files(root: Path) -> tuple[dict, list[str]]:
    """Validate manifest.yaml with the SDK model; return it and the files it refers to."""
    manifest = _load_yaml(root, "manifest.yaml")
    try:
        from dify_plugin.core.entities.plugin.setup import PluginConfiguration
    except ImportError:  # packaging still works without the SDK, just without model validation
        print("package: dify_plugin not importable, manifest not model-validated", file=sys.stderr)
    else:
        try:
            PluginConfiguration(**manifest)
        except Exception as exc:
            raise PackageError(f"manifest.yaml is invalid: {exc}") from None

    refs = ["manifest.yaml", "requirements.txt"]
    runner = (manifest.get("meta") or {}).get("runner") or {}
    refs.append(f"{runner.get('entrypoint', 'main')}.py")
    if manifest.get("privacy"):
        refs.append(str(manifest["privacy"]))
    for key in ("icon", "icon_dark"):
        if manifest.get(key):
            refs.append(f"_assets/{manifest[key]}")
    for provider_rel in (manifest.get("plugins") or {}).get("tools") or []:
        refs.append(provider_rel)
        provider = _load_yaml(root, provider_rel)
        for key in ("icon", "icon_dark"):
            icon = (provider.get("identity") or {}).get(key)
            if icon:
                refs.append(f"_assets/{icon}")
        source = ((provider.get("extra") or {}).get("python") or {}).get("source")
        if source:
            refs.append(source)
        for tool_rel in provider.get("tools") or []:
            refs.append(tool_rel)
            tool = _load_yaml(root, tool_rel)
            source = ((tool.get("extra") or {}).get("python") or {}).get("source")
            if source:
                refs.append(source)
    return manifest, refs


def write_zip(root: Path, files: Iterable[str], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for rel in files:
            full = root / rel
            info = zipfile.ZipInfo(rel, date_time=FIXED_DATE)
            mode = stat.S_IMODE(full.stat().st_mode)
            info.external_attr = ((0o755 if mode & 0o111 else 0o644) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, full.read_bytes())
    tmp.replace(output)


def build_package(
    root: Path = ROOT, output: Path | None = None, max_size_mb: float = MAX_SIZE_MB
) -> Path:
    root = root.resolve()
    manifest, refs = referenced_files(root)
    files = iter_package_files(root)
    included = set(files)
    missing = [r for r in dict.fromkeys(refs) if PurePosixPath(r).as_posix() not in included]
    if missing:
        raise PackageError(
            "files the manifest needs are missing or excluded by .difyignore: " + ", ".join(missing)
        )
    total = sum((root / f).stat().st_size for f in files)
    limit = int(max_size_mb * 1024 * 1024)
    if total > limit:
        raise PackageError(f"plugin is {total / 1048576:.1f} MB, over the {max_size_mb} MB limit")
    if output is None:
        output = root / "dist" / f"{manifest['name']}-{manifest['version']}.difypkg"
    write_zip(root, files, output)
    if output.stat().st_size > limit:
        output.unlink()
        raise PackageError(f"package is over the {max_size_mb} MB limit")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--output", "-o", type=Path, default=None)
    parser.add_argument("--max-size-mb", type=float, default=MAX_SIZE_MB)
    parser.add_argument("--list", action="store_true", help="only list the files to package")
    args = parser.parse_args(argv)
    try:
        if args.list:
            print("\n".join(iter_package_files(args.root.resolve())))
            return 0
        path = build_package(args.root, args.output, args.max_size_mb)
    except (PackageError, OSError, yaml.YAMLError) as exc:
        print(f"package: error: {exc}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(path) as zf:
        count = len(zf.infolist())
    print(f"package: {count} files, {path.stat().st_size / 1024:.1f} KiB", file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
