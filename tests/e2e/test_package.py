"""The .difypkg: built like Dify's packager, contains what Dify needs and nothing else, and
starts from a clean environment (the marketplace's install check: serverless `/health`)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.plugin_process import REPO_ROOT

REPO = Path(REPO_ROOT)
PACKAGER = REPO / "scripts" / "package.py"
sys.path.insert(0, str(REPO / "scripts"))
REQUIRED = [
    "manifest.yaml",
    "main.py",
    "requirements.txt",
    "PRIVACY.md",
    "README.md",
    "provider/google_calendar.yaml",
    "provider/google_calendar.py",
]
REQUIRED_DIRS = ["provider/", "tools/", "_assets/"]
FORBIDDEN_PARTS = {".venv", "venv", "__pycache__", "tests", "scripts", ".git", "dist", ".ci",
                   ".pytest_cache", ".ruff_cache", ".hypothesis"}
FORBIDDEN_FILES = {".env", "pyproject.toml", "uv.lock", ".python-version"}


def _python312() -> str:
    venv_python = REPO / ".venv" / "bin" / "python"
    return str(venv_python if venv_python.exists() else sys.executable)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "google_calendar.difypkg"
    proc = subprocess.run(
        [_python312(), str(PACKAGER), "--root", str(REPO), "--output", str(out)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert proc.returncode == 0, f"packaging failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def unpacked(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(package) as zf:
        for name in zf.namelist():
            assert not name.startswith("/") and ".." not in Path(name).parts, name
        zf.extractall(target)
    return target


def test_package_has_what_dify_needs(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
    assert names == sorted(names), "entries are not in deterministic order"
    missing = [f for f in REQUIRED if f not in names]
    assert not missing, f"package lacks {missing}"
    for prefix in REQUIRED_DIRS:
        assert any(n.startswith(prefix) for n in names), f"package has nothing under {prefix}"
    manifest = yaml.safe_load(zipfile.ZipFile(package).read("manifest.yaml"))
    provider = yaml.safe_load(zipfile.ZipFile(package).read("provider/google_calendar.yaml"))
    for icon in (manifest.get("icon"), provider["identity"].get("icon")):
        assert f"_assets/{icon}" in names, f"icon {icon} not packaged"
    for tool in provider.get("tools") or []:
        assert tool in names, f"tool declaration {tool} not packaged"
        source = yaml.safe_load(zipfile.ZipFile(package).read(tool))["extra"]["python"]["source"]
        assert source in names, f"tool source {source} not packaged"


def test_package_leaves_out_dev_files_and_secrets(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
    leaked = [
        n for n in names
        if set(Path(n).parts) & FORBIDDEN_PARTS
        or Path(n).name in FORBIDDEN_FILES
        or Path(n).name.startswith(".env")
        or n.endswith((".pyc", ".difypkg"))
    ]
    assert not leaked, f"package contains dev-only files: {leaked}"


def test_package_is_small(package: Path) -> None:
    size = package.stat().st_size
    assert size < 1024 * 1024, f"package is {size / 1024:.0f} KiB; expected well under 1 MB"


def test_packager_is_deterministic(package: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.difypkg"
    subprocess.run(
        [_python312(), str(PACKAGER), "--root", str(REPO), "--output", str(again)],
        check=True, capture_output=True, timeout=120, cwd=REPO,
    )
    assert again.read_bytes() == package.read_bytes()


@pytest.mark.slow
def test_package_installs_and_serves_health_from_clean_env(package: Path) -> None:
    """What the marketplace does: fresh venv, requirements.txt, start serverless, GET /health."""
    from install_check import install_and_probe

    assert install_and_probe(package) == []


# --- same file list as `dify plugin package` ---------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_negations_have_no_effect_as_in_the_cli(tmp_path: Path) -> None:
    """The CLI tests each pattern on its own and drops a path as soon as one excludes it
    (dify-plugin-daemon pkg/plugin_packager/decoder/fs.go), so `!keep` keeps nothing."""
    from package import iter_package_files

    root = _tree(tmp_path, {".difyignore": ".env*\n!.env.example\n# comment\n  logs/  \n",
                            ".env": "x", ".env.example": "x", "main.py": "", "logs/a.txt": ""})
    assert iter_package_files(root) == [".difyignore", "main.py"]


def test_our_difyignore_needs_no_negation() -> None:
    lines = (REPO / ".difyignore").read_text().splitlines()
    assert not [line for line in lines if line.strip().startswith("!")]


# --- release metadata ---------------------------------------------------------------------

RELEASE = {"--author": "acme-labs", "--repo": "https://github.com/acme-labs/gcal-plugin",
           "--contact": "plugins@acme.example"}


def _build(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "package"), *args, "-o", str(tmp_path / "p.difypkg")],
        capture_output=True, text=True, timeout=180, cwd=REPO,
        env={**os.environ, "PACKAGE_WITH_DIFY": "0"},
    )


def _check(package: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_python312(), str(REPO / "scripts" / "check_package.py"), str(package)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)


def test_stamped_package_carries_release_metadata_and_passes_checks(tmp_path: Path) -> None:
    proc = _build(tmp_path, *[x for pair in RELEASE.items() for x in pair])
    assert proc.returncode == 0, proc.stderr
    package = tmp_path / "p.difypkg"
    with zipfile.ZipFile(package) as zf:
        manifest = yaml.safe_load(zf.read("manifest.yaml"))
        authors = {n: yaml.safe_load(zf.read(n))["identity"]["author"]
                   for n in zf.namelist() if n.startswith(("tools/", "provider/"))
                   and n.endswith(".yaml")}
        readme = zf.read("README.md").decode()
    assert (manifest["author"], manifest["repo"], manifest["contact"]) == (
        RELEASE["--author"], RELEASE["--repo"], RELEASE["--contact"])
    assert set(authors.values()) == {RELEASE["--author"]} and len(authors) >= 13
    assert f"Source code: <{RELEASE['--repo']}>" in readme
    # The repository's own files are untouched.
    assert yaml.safe_load((REPO / "manifest.yaml").read_text())["author"] == "local"
    check = _check(package)
    assert check.returncode == 0, check.stdout
    assert "7/7 checks passed" in check.stdout


def test_default_package_is_local_and_fails_only_the_release_checks(package: Path) -> None:
    manifest = yaml.safe_load(zipfile.ZipFile(package).read("manifest.yaml"))
    assert "dify" not in manifest["author"].lower()
    assert "repo" not in manifest and "contact" not in manifest  # never an invented URL
    check = _check(package)
    assert check.returncode == 1
    failed = [line for line in check.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == ["FAIL manifest author, repo and contact"], check.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--author", "dify-team"], "containing 'dify'"),
    (["--author", "bad author"], "letters, digits"),
    (["--repo", "http://github.com/a/b"], "https://"),
    (["--repo", "https://github.com/only-owner"], "OWNER/REPO"),
    (["--contact", "nobody"], "e-mail"),
])
def test_invalid_release_metadata_is_refused(tmp_path: Path, args, message) -> None:
    proc = _build(tmp_path, *args)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert not (tmp_path / "p.difypkg").exists()


def test_check_package_finds_secrets_binaries_and_unbounded_requirements(tmp_path: Path):
    bad = tmp_path / "bad.difypkg"
    with zipfile.ZipFile(package_path := bad, "w") as zf:
        zf.writestr("manifest.yaml", "author: dify-org\nprivacy: PRIVACY.md\n")
        zf.writestr("README.md", "# x\n")
        zf.writestr("PRIVACY.md", "Only to nobody.\n")
        zf.writestr("requirements.txt", "dify_plugin>=0.8.0\nrequests\n")
        zf.writestr("main.py", 'URL = "https://api.tracker.test/v1"\n')
        zf.writestr("lib/fast.so", b"\x7fELF....")
        zf.writestr(".venv/pyvenv.cfg", "home = /usr\n")
        zf.writestr("config.py", "SECRET = 'GOCSPX-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3" + "'\n")
    out = _check(package_path).stdout
    for expected in ("contains 'dify'", "no repo", "no contact", "lib/fast.so: binary",
                     ".venv/pyvenv.cfg: virtualenv", "Google OAuth client secret",
                     "requests: no upper bound", "dify_plugin must require >= 0.9.0",
                     "api.tracker.test appears in the code"):
        assert expected in out, (expected, out)


def test_official_cli_on_path_packs_a_stamped_staging_copy(tmp_path: Path) -> None:
    """With `dify` on PATH, scripts/package hands it a staged copy that already carries the
    release metadata and only the files our list keeps (the CLI then applies .difyignore)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "seen.txt"
    fake = bin_dir / "dify"
    # Test double for `dify plugin package DIR -o OUT`: records what it was given, writes OUT.
    fake.write_text(f"""#!/usr/bin/env bash
set -e
[[ "$1 $2" == "plugin package" && "$4" == "-o" ]]
cd "$3"
{{ find . -type f | sort; cat manifest.yaml; }} > "{seen}"
echo packed > "$5"
""")
    fake.chmod(0o755)
    out = tmp_path / "p.difypkg"
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "package"),
         *[x for pair in RELEASE.items() for x in pair], "-o", str(out)],
        capture_output=True, text=True, timeout=180, cwd=REPO,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == "packed\n"
    staged = seen.read_text()
    assert f"repo: {RELEASE['--repo']}" in staged and f"author: {RELEASE['--author']}" in staged
    assert "./tests/" not in staged and "./.env.example" not in staged
    assert "./tools/list_events.yaml" in staged


# --- first hour (issue 27) ------------------------------------------------------------------


def _plugin_copy(tmp_path: Path) -> Path:
    """A copy of the plugin's packaged files, to drop a newcomer's leftovers into."""
    sys.path.insert(0, str(REPO / "scripts"))
    from package import iter_package_files

    root = tmp_path / "plugin"
    for rel in [*iter_package_files(REPO), ".difyignore"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes((REPO / rel).read_bytes())
    return root


@pytest.mark.parametrize("leftover", ["acme.private.pem", "export.ics", "keys/signing.key"])
def test_private_keys_and_calendar_files_are_refused_not_packed(tmp_path: Path, leftover):
    root = _plugin_copy(tmp_path)
    (root / leftover).parent.mkdir(parents=True, exist_ok=True)
    (root / leftover).write_text("-----BEGIN PRIVATE KEY-----\n")
    out = tmp_path / "p.difypkg"
    proc = subprocess.run([_python312(), str(REPO / "scripts" / "package.py"), "--root",
                           str(root), "--output", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and f"refusing to pack {leftover}" in proc.stderr, proc.stderr
    assert not out.exists()


def test_packaged_readme_is_a_marketplace_page(package: Path, tmp_path: Path) -> None:
    """No developer commands first; docs/ links absolute with --repo, plain text without."""
    local = zipfile.ZipFile(package).read("README.md").decode()
    assert "scripts/dev" not in local.split("\n## ", 1)[0]
    assert "](docs/" not in local and "Developer documentation lives" not in local
    assert "](PRIVACY.md)" in local  # packaged: stays relative
    repo = "https://git.acme.internal/platform/gcal-plugin"  # a self-hosted GitLab
    proc = _build(tmp_path, "--repo", repo)
    assert proc.returncode == 0, proc.stderr
    assert "marketplace refuses this --repo" in proc.stderr
    stamped = zipfile.ZipFile(tmp_path / "p.difypkg").read("README.md").decode()
    assert f"]({repo}/blob/HEAD/docs/output.md#versions)" in stamped
    assert "](docs/" not in stamped and f"<{repo}>" in stamped


def test_output_names_the_plugin_id_and_the_callback(tmp_path: Path) -> None:
    proc = _build(tmp_path, "--author", "acme")
    assert proc.returncode == 0, proc.stderr
    assert "plugin id acme/google_calendar" in proc.stderr
    assert ("{CONSOLE_API_URL}/console/api/oauth/plugin/acme/google_calendar/google_calendar/"
            "tool/callback") in proc.stderr


@pytest.mark.parametrize("args", [["--author"], ["--repo"], ["--author", "--repo", "x"]])
def test_an_option_without_value_is_one_clear_line(tmp_path: Path, args) -> None:
    proc = _build(tmp_path, *args)
    assert proc.returncode == 2 and "needs a value" in proc.stderr
    assert "unbound variable" not in proc.stderr


def test_help_is_plain_text() -> None:
    proc = subprocess.run(["bash", str(REPO / "scripts" / "package"), "--help"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and proc.stdout.startswith("Build ")
    assert not [line for line in proc.stdout.splitlines() if line.startswith("#")]
    assert "set -e" not in proc.stdout
