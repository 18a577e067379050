#!/usr/bin/env python3
"""Build the .difypkg exactly as Dify's packager (`dify plugin package`) does, optionally stamped
with release metadata.

File list: every file under the plugin root not excluded by a pattern of the root `.difyignore`
(`.gitignore` when there is none). Like the CLI (langgenius/dify-plugin-daemon,
pkg/plugin_packager/decoder/fs.go, FSPluginDecoder.Walk) each pattern is tested on its own and a
path is left out as soon as one pattern excludes it, so `!negation` lines have no effect there;
here they are ignored the same way, with a warning. Packages over 50 MB are refused.

Release metadata (`--author`, `--repo`, `--contact`) is written into the packaged copies only:
manifest.yaml's `author`/`repo`/`contact`, every `identity.author` of the packaged YAMLs, and a
"Source code" line in the packaged README. The packaged README is the marketplace page: its
developer commands and section give way to a pointer to the repository, and links to files the
package does not carry (docs/) become absolute links into `--repo`, or plain text without it.
Private keys, calendar files and other packages in the tree are refused, not packed. The author
becomes the plugin id (`author/name`) and thereby part of the OAuth callback path.

On top of Dify's behaviour the build is deterministic (sorted entries, fixed timestamps) and
checks, before writing, that the manifest validates with the SDK's own model and that every file
the manifest refers to is inside the package.

Usage: python scripts/package.py [--root DIR] [--output FILE] [--author A] [--repo URL]
       [--contact EMAIL] [--stage DIR] [--list]
Prints the path of the written package (or of the staged tree with --stage).
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
MAX_SIZE_MB = 50
FIXED_DATE = (2020, 1, 1, 0, 0, 0)
# The SDK's PluginConfiguration.author pattern (dify_plugin/core/entities/plugin/setup.py).
AUTHOR_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,64}")
# Hosts langgenius/dify-plugins accepts for a submission's `repo`.
ALLOWED_REPO_HOSTS = ("github.com", "gitlab.com", "codeberg.org")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
SOURCE_LINE_PREFIX = "Source code: "


class PackageError(Exception):
    pass


# ----------------------------------------------------------------------------- release metadata
@dataclass(frozen=True)
class Release:
    author: str | None = None
    repo: str | None = None
    contact: str | None = None

    def problems(self) -> list[str]:
        checks = (("author", self.author, author_problem),
                  ("repo", self.repo, lambda url: repo_url_problem(url, marketplace=False)),
                  ("contact", self.contact, contact_problem))
        return [f"--{name} {value!r}: {problem}" for name, value, rule in checks
                if value is not None and (problem := rule(value))]


def author_problem(author: str) -> str | None:
    """The marketplace's rules for the author id (it becomes the plugin id)."""
    if not AUTHOR_PATTERN.fullmatch(author):
        return "use 1-64 letters, digits, '-' or '_'"
    if "dify" in author.lower():
        return ("contains 'dify': the marketplace refuses authors containing 'dify'; use "
                "your organisation's id")
    return None


def contact_problem(contact: str) -> str | None:
    return None if EMAIL_PATTERN.fullmatch(contact) else "give an e-mail address"


def repo_url_problem(url: str, *, marketplace: bool = True) -> str | None:
    """The marketplace's rule, or (marketplace=False) any https repository, e.g. a self-hosted
    GitLab or Gitea for a package installed from a file."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return "use an https:// URL"
    if marketplace and parts.hostname not in ALLOWED_REPO_HOSTS:
        return "host must be one of " + ", ".join(ALLOWED_REPO_HOSTS)
    if len([p for p in parts.path.split("/") if p]) < 2 or parts.query or parts.fragment:
        return "give the repository itself, e.g. https://github.com/OWNER/REPO"
    return None


def repo_file_url(repo: str, path: str) -> str:
    """A file of the repository's default branch in its web view. GitHub and GitLab (also
    self-hosted) answer `/blob/HEAD/<path>`; Gitea, Forgejo and Codeberg use `/src/branch/`."""
    base = repo.rstrip("/").removesuffix(".git")
    host = urlsplit(base).hostname or ""
    if host == "codeberg.org" or "gitea" in host or "forgejo" in host:
        return f"{base}/src/branch/main/{path}"
    return f"{base}/blob/HEAD/{path}"


def _replace_line(text: str, pattern: str, replacement: str, what: str) -> str:
    new, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    if count != 1:
        raise PackageError(f"cannot stamp {what}: no line matches {pattern!r}")
    return new


def _set_top_level_key(text: str, key: str, value: str) -> str:
    line = f"{key}: {value}"
    if re.search(rf"^{key}:", text, flags=re.MULTILINE):
        return _replace_line(text, rf"^{key}:.*$", line, f"manifest {key}")
    return _replace_line(text, r"^(author:.*)$", rf"\1\n{line}", f"manifest {key}")


def stamp_manifest(text: str, release: Release) -> str:
    for key in ("author", "contact", "repo"):  # each inserted right under author
        value = getattr(release, key)
        if value is not None:
            text = _set_top_level_key(text, key, value)
    return text


def stamp_identity_author(text: str, author: str) -> str:
    """Rewrite the `author:` line inside the top-level `identity:` block."""
    return _replace_line(text, r"^(identity:\n(?:[ \t]+.*\n)*?[ \t]+)author:.*$",
                         rf"\1author: {author}", "identity.author")


def stamp_readme(text: str, repo: str) -> str:
    """A "Source code" line right under the title (the marketplace looks for the repo URL)."""
    lines = text.splitlines(keepends=True)
    title = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
    lines.insert(title + 1, f"\n{SOURCE_LINE_PREFIX}<{repo}>\n")
    return "".join(lines)


_FIRST_BLOCK = re.compile(r"\n```[^\n]*\n.*?^```\n", re.MULTILINE | re.DOTALL)
_DEVELOPMENT = re.compile(r"^## Development\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://|#|mailto:)([^)\s]+)\)")


def package_readme(text: str, packaged: set[str], repo: str | None) -> str:
    """The README as the marketplace page: no developer commands up front, the developer part
    pointing to the repository, and no link to a file the package does not carry (absolute
    into the repository with --repo, plain text without)."""
    first_section = text.find("\n## ")
    head = _FIRST_BLOCK.sub("\n", text[:first_section], count=1)
    body = text[first_section:]
    pointer = (f"## Development\n\nSource code, developer documentation and issues: <{repo}>.\n\n"
               if repo else "")
    text = head + _DEVELOPMENT.sub(pointer, body)

    def relink(match: re.Match) -> str:
        label, target = match.groups()
        path = target.split("#", 1)[0]
        if path in packaged:
            return match.group(0)
        return f"[{label}]({repo_file_url(repo, target)})" if repo else label

    return re.sub(r"\n{3,}", "\n\n", _LINK.sub(relink, text)).rstrip("\n") + "\n"


def stamped(rel: str, data: bytes, release: Release, packaged: set[str]) -> bytes:
    if rel == "README.md":
        readme = package_readme(data.decode("utf-8"), packaged, release.repo)
        if release.repo:
            readme = stamp_readme(readme, release.repo)
        return readme.encode("utf-8")
    if not (release.author or release.repo or release.contact):
        return data
    if rel == "manifest.yaml":
        return stamp_manifest(data.decode("utf-8"), release).encode("utf-8")
    if rel.endswith((".yaml", ".yml")) and release.author:
        parsed = yaml.safe_load(data) or {}
        if isinstance(parsed, dict) and "author" in (parsed.get("identity") or {}):
            return stamp_identity_author(data.decode("utf-8"), release.author).encode("utf-8")
    return data


# ----------------------------------------------------------------------------- file list
def ignore_patterns(root: Path) -> list[str]:
    """The ignore lines the CLI acts on: trimmed, no blanks, comments or `!` negations."""
    for name in (".difyignore", ".gitignore"):
        path = root / name
        if path.is_file():
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
            lines = [line for line in lines if line and not line.startswith("#")]
            negations = [line for line in lines if line.startswith("!")]
            if negations:
                print(f"package: {name}: {', '.join(negations)} ignored - `dify plugin package` "
                      "does not honour negations", file=sys.stderr)
            return [line for line in lines if not line.startswith("!")]
    return []


def iter_package_files(root: Path) -> list[str]:
    """Relative POSIX paths of the files that go into the package, sorted."""
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(ignore_patterns(root))
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        dirnames[:] = [
            d for d in sorted(dirnames)
            if not spec.match_file((rel_dir / d).as_posix() + "/")
            and not os.path.islink(os.path.join(dirpath, d))  # never leave the plugin root
        ]
        for f in sorted(filenames):
            rel = (rel_dir / f).as_posix()
            if not spec.match_file(rel) and (Path(dirpath) / f).is_file():
                files.append(rel)
    return sorted(files)


# Files that must never ship and that a newcomer's first hour leaves in the checkout: keys from
# `dify signature generate` (*.private.pem), exported calendars (a demo `save`), other packages.
STRAY_FILE = re.compile(r"(^|/)(.*\.(pem|key|p12|pfx|ics|ical|difypkg)|id_rsa|id_ed25519|\.env)$",
                        re.IGNORECASE)


def refuse_stray_files(files: list[str]) -> None:
    stray = [rel for rel in files if STRAY_FILE.search(rel)]
    if stray:
        raise PackageError(
            "refusing to pack " + ", ".join(stray) + ": private keys and calendar files do not "
            "belong in the plugin; move them out of the checkout (keep signing keys elsewhere, "
            "the demo console saves into $GCAL_DEMO_DIR)")


def plugin_summary(contents: dict[str, bytes]) -> str:
    """The plugin id and the OAuth callback it implies (to register in Google Cloud)."""
    manifest = yaml.safe_load(contents["manifest.yaml"]) or {}
    plugin_id = f"{manifest.get('author')}/{manifest.get('name')}"
    providers = [(yaml.safe_load(contents[rel]) or {}).get("identity", {}).get("name")
                 for rel in (manifest.get("plugins") or {}).get("tools") or [] if rel in contents]
    callbacks = [f"{{CONSOLE_API_URL}}/console/api/oauth/plugin/{plugin_id}/{name}/tool/callback"
                 for name in providers if name]
    return (f"package: plugin id {plugin_id}; OAuth redirect URI to register in Google Cloud: "
            + ", ".join(callbacks))


# ----------------------------------------------------------------------------- validation
def _load_yaml(contents: dict[str, bytes], rel: str) -> dict:
    if rel not in contents:
        return {}
    return yaml.safe_load(contents[rel]) or {}


def referenced_files(contents: dict[str, bytes]) -> tuple[dict, list[str]]:
    """Validate manifest.yaml with the SDK model; return it and the files it refers to."""
    manifest = _load_yaml(contents, "manifest.yaml")
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
        provider = _load_yaml(contents, provider_rel)
        for key in ("icon", "icon_dark"):
            icon = (provider.get("identity") or {}).get(key)
            if icon:
                refs.append(f"_assets/{icon}")
        tools = [_load_yaml(contents, tool_rel) for tool_rel in provider.get("tools") or []]
        for declaration in [provider, *tools]:
            source = ((declaration.get("extra") or {}).get("python") or {}).get("source")
            if source:
                refs.append(source)
        refs.extend(provider.get("tools") or [])
    return manifest, refs


# ----------------------------------------------------------------------------- build
def collect(root: Path, release: Release) -> dict[str, bytes]:
    problems = release.problems()
    if problems:
        raise PackageError("; ".join(problems))
    root = root.resolve()
    files = iter_package_files(root)
    refuse_stray_files(files)
    contents = {rel: stamped(rel, (root / rel).read_bytes(), release, set(files))
                for rel in files}
    _, refs = referenced_files(contents)
    missing = [r for r in dict.fromkeys(refs) if PurePosixPath(r).as_posix() not in contents]
    if missing:
        raise PackageError(
            "files the manifest needs are missing or excluded by .difyignore: " + ", ".join(missing)
        )
    total = sum(len(data) for data in contents.values())
    if total > MAX_SIZE_MB * 1024 * 1024:
        raise PackageError(f"plugin is {total / 1048576:.1f} MB, over the {MAX_SIZE_MB} MB limit")
    return contents


def _mode(root: Path, rel: str) -> int:
    executable = stat.S_IMODE((root / rel).stat().st_mode) & 0o111
    return 0o755 if executable else 0o644


def write_zip(root: Path, contents: dict[str, bytes], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for rel in sorted(contents):
            info = zipfile.ZipInfo(rel, date_time=FIXED_DATE)
            info.external_attr = (_mode(root, rel) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, contents[rel])
    tmp.replace(output)


def write_stage(root: Path, contents: dict[str, bytes], stage: Path) -> None:
    """The packaged tree as plain files, for `dify plugin package STAGE`."""
    for rel, data in contents.items():
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(_mode(root, rel))
    difyignore = root / ".difyignore"
    if difyignore.is_file():  # the CLI reads it again; nothing it would exclude is staged anyway
        (stage / ".difyignore").write_bytes(difyignore.read_bytes())


def default_output(root: Path) -> Path:
    manifest = yaml.safe_load((root / "manifest.yaml").read_text(encoding="utf-8"))
    return root / "dist" / f"{manifest['name']}-{manifest['version']}.difypkg"


def build_package(root: Path = ROOT, output: Path | None = None,
                  release: Release = Release()) -> Path:
    root = root.resolve()
    contents = collect(root, release)
    output = output or default_output(root)
    write_zip(root, contents, output)
    if output.stat().st_size > MAX_SIZE_MB * 1024 * 1024:
        output.unlink()
        raise PackageError(f"package is over the {MAX_SIZE_MB} MB limit")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--output", "-o", type=Path, default=None)
    parser.add_argument("--author", help="plugin author id (becomes the plugin id's first part)")
    parser.add_argument("--repo", help="public source repository URL")
    parser.add_argument("--contact", help="maintainer e-mail address")
    parser.add_argument("--stage", type=Path, help="write the stamped tree here instead of a zip")
    parser.add_argument("--list", action="store_true", help="only list the files to package")
    args = parser.parse_args(argv)
    release = Release(args.author, args.repo, args.contact)
    try:
        if args.list:
            print("\n".join(iter_package_files(args.root.resolve())))
            return 0
        if args.stage:
            contents = collect(args.root, release)
            write_stage(args.root.resolve(), contents, args.stage)
            print(plugin_summary(contents), file=sys.stderr)
            print(args.stage)
            return 0
        path = build_package(args.root, args.output, release)
    except (PackageError, OSError, yaml.YAMLError) as exc:
        print(f"package: error: {exc}", file=sys.stderr)
        return 1
    if release.repo and (problem := repo_url_problem(release.repo)):
        print(f"package: note: fine for installing from a file, but the marketplace refuses "
              f"this --repo ({problem})", file=sys.stderr)
    with zipfile.ZipFile(path) as zf:
        count = len(zf.infolist())
        summary = plugin_summary({name: zf.read(name) for name in zf.namelist()
                                  if name.endswith((".yaml", ".yml"))})
    print(f"package: {count} files, {path.stat().st_size / 1024:.1f} KiB", file=sys.stderr)
    print(summary, file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
