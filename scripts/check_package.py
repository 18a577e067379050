#!/usr/bin/env python3
"""Check a built .difypkg against the Dify marketplace's published submission rules.

The rules (langgenius/dify-plugins submission checks and review guide, restated as our own
code): manifest `author` present and free of "dify", `repo` an https URL on an allowed host,
`contact` present; the README contains the repo URL; every packaged `identity.author` matches
the manifest; the package is under 50 MB and 5,000 files and holds no virtualenv, binary or
secret; requirements.txt has an upper bound on every requirement and dify_plugin >= 0.9.0; the
privacy policy is packaged and names every host the code contacts. With `--install` the package
is also installed with `pip install -r requirements.txt` into a fresh venv, started with
INSTALL_METHOD=serverless and probed on /health, as the marketplace's install check does.

Usage: python scripts/check_package.py PACKAGE.difypkg [--install]
Prints one line per check (ok / FAIL with the reason); exit code 1 if any failed.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tokenize
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package import MAX_SIZE_MB, author_problem, contact_problem, repo_url_problem

MAX_FILES = 5000
MIN_DIFY_PLUGIN = Version("0.9.0")
VENV_MARKERS = {".venv", "venv", "site-packages", "pyvenv.cfg", "__pycache__"}
BINARY_SUFFIXES = (".so", ".pyd", ".dll", ".dylib", ".exe", ".bin", ".whl", ".pyc", ".o", ".a")
BINARY_MAGIC = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
SECRET_FILE = re.compile(r"(^|/)(\.env(\..*)?|id_rsa|id_ed25519|.*\.pem|.*\.key|.*\.p12)$")
SECRET_CONTENT = {
    "private key": re.compile(rb"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "Google OAuth client secret": re.compile(rb"GOCSPX-[A-Za-z0-9_-]{24,}"),
    "Google API key": re.compile(rb"AIza[0-9A-Za-z_-]{35}"),
    "Google access token": re.compile(rb"ya29\.[0-9A-Za-z_-]{20,}"),
    "Google refresh token": re.compile(rb"1//0[0-9A-Za-z_-]{30,}"),
    "AWS access key": re.compile(rb"AKIA[0-9A-Z]{16}"),
    "GitHub token": re.compile(rb"gh[pousr]_[A-Za-z0-9]{36}"),
}
URL_HOST = re.compile(r"https?://([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# Hosts in the code that are only documentation or examples, never contacted.
NON_CONTACTED_HOSTS = {"example.com", "example.org", "developers.google.com"}


class Package:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.names = [i.filename for i in self.zip.infolist() if not i.is_dir()]

    def text(self, name: str) -> str:
        return self.zip.read(name).decode("utf-8", "replace") if name in self.names else ""

    def yaml(self, name: str) -> dict:
        return (yaml.safe_load(self.text(name)) or {}) if name in self.names else {}

    @property
    def manifest(self) -> dict:
        return self.yaml("manifest.yaml")


Check = Callable[[Package], Iterator[str]]  # yields problems; none means the check passed
CHECKS: list[tuple[str, Check]] = []


def check(title: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS.append((title, fn))
        return fn
    return register


@check("manifest author, repo and contact")
def _manifest_identity(pkg: Package) -> Iterator[str]:
    manifest = pkg.manifest
    author = str(manifest.get("author") or "")
    if not author:
        yield "manifest.yaml has no author"
    elif problem := author_problem(author):
        yield f"author {author!r}: {problem}; package with --author YOUR_ID"
    repo = manifest.get("repo")
    if not repo:
        yield "manifest.yaml has no repo; package with --repo https://github.com/OWNER/REPO"
    elif problem := repo_url_problem(str(repo)):
        yield f"repo {repo!r}: {problem}"
    contact = manifest.get("contact")
    if not contact:
        yield "manifest.yaml has no contact; package with --contact EMAIL"
    elif problem := contact_problem(str(contact)):
        yield f"contact {contact!r}: {problem}"


@check("README names the source repository")
def _readme_repo(pkg: Package) -> Iterator[str]:
    readme, repo = pkg.text("README.md"), pkg.manifest.get("repo")
    if not readme:
        yield "README.md is missing"
    elif repo and str(repo).rstrip("/") not in readme:
        yield f"README.md does not contain the repo URL {repo}"


@check("every identity.author matches the manifest")
def _identity_authors(pkg: Package) -> Iterator[str]:
    author = pkg.manifest.get("author")
    for name in pkg.names:
        if name.endswith((".yaml", ".yml")):
            identity = pkg.yaml(name).get("identity") or {}
            if "author" in identity and identity["author"] != author:
                yield f"{name}: identity.author {identity['author']!r} != {author!r}"


@check(f"size under {MAX_SIZE_MB} MB and {MAX_FILES} files")
def _size(pkg: Package) -> Iterator[str]:
    unpacked = sum(i.file_size for i in pkg.zip.infolist())
    for label, size in (("package", pkg.path.stat().st_size), ("unpacked content", unpacked)):
        if size >= MAX_SIZE_MB * 1024 * 1024:
            yield f"{label} is {size / 1048576:.1f} MB"
    if len(pkg.names) >= MAX_FILES:
        yield f"{len(pkg.names)} files"


@check("no virtualenv, binary or secret")
def _no_payload(pkg: Package) -> Iterator[str]:
    for name in pkg.names:
        parts = set(PurePosixPath(name).parts)
        data = pkg.zip.read(name)
        if parts & VENV_MARKERS:
            yield f"{name}: virtualenv or cache content"
        elif name.endswith(BINARY_SUFFIXES) or data.startswith(BINARY_MAGIC):
            yield f"{name}: binary file"
        elif SECRET_FILE.search(name):
            yield f"{name}: secret-bearing file name"
        for kind, pattern in SECRET_CONTENT.items():
            if pattern.search(data):
                yield f"{name}: looks like a {kind}"


@check("requirements.txt bounded, dify_plugin >= 0.9.0")
def _requirements(pkg: Package) -> Iterator[str]:
    if "requirements.txt" not in pkg.names:
        yield "requirements.txt is missing"
        return
    found_sdk = False
    for raw in pkg.text("requirements.txt").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            yield f"cannot parse {line!r}"
            continue
        ops = {s.operator for s in req.specifier}
        if not ops & {"<", "<=", "==", "~=", "==="}:
            yield f"{req.name}: no upper bound ({line!r})"
        if canonicalize_name(req.name) == "dify-plugin":
            found_sdk = True
            lower = [Version(s.version) for s in req.specifier
                     if s.operator in (">=", ">", "==", "~=")]
            if not lower or max(lower) < MIN_DIFY_PLUGIN:
                yield f"dify_plugin must require >= {MIN_DIFY_PLUGIN} ({line!r})"
    if not found_sdk:
        yield "requirements.txt does not require dify_plugin"


def _without_comments(source: str) -> str:
    """The code without its comments: a documentation link in a comment contacts nothing."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        return " ".join(t.string for t in tokens if t.type != tokenize.COMMENT)
    except (tokenize.TokenError, SyntaxError):
        return source


@check("privacy policy names every contacted host")
def _privacy(pkg: Package) -> Iterator[str]:
    privacy = pkg.manifest.get("privacy")
    policy = pkg.text(str(privacy)) if privacy else ""
    if not policy.strip():
        yield "no privacy policy packaged (manifest `privacy`)"
        return
    hosts = {h for name in pkg.names if name.endswith(".py")
             for h in URL_HOST.findall(_without_comments(pkg.text(name)))}
    for host in sorted(hosts - NON_CONTACTED_HOSTS):
        if not host.endswith(".example") and host not in policy:
            yield f"{host} appears in the code but not in {privacy}"


def run_checks(path: Path) -> list[tuple[str, list[str]]]:
    pkg = Package(path)
    return [(title, list(fn(pkg))) for title, fn in CHECKS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("--install", action="store_true",
                        help="also install into a fresh venv and probe /health (slow)")
    args = parser.parse_args(argv)
    try:
        results = run_checks(args.package)
    except (OSError, zipfile.BadZipFile, yaml.YAMLError) as exc:
        print(f"check-package: cannot read {args.package}: {exc}", file=sys.stderr)
        return 1
    if args.install:
        from install_check import install_and_probe

        results.append(("installs and answers /health (serverless)",
                        install_and_probe(args.package)))
    for title, problems in results:
        print(f"{'ok  ' if not problems else 'FAIL'} {title}")
        for problem in problems:
            print(f"     - {problem}")
    failed = sum(bool(p) for _, p in results)
    print(f"check-package: {len(results) - failed}/{len(results)} checks passed "
          f"({args.package.name})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
