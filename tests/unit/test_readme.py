"""The README is the marketplace page: short, user-first, the two contract commands first.

It ships inside the .difypkg and Dify shows it as the plugin's page; developer material lives in
docs/, which stays out of the package, so the README's links into docs/ must still resolve in the
source repository.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.plugin_process import REPO_ROOT

REPO = Path(REPO_ROOT)
README = REPO / "README.md"
MAX_README_CHARACTERS = 15_000
CONTRACT_COMMANDS = ["scripts/dev", "scripts/test"]
FENCED_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
RELATIVE_LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)#\s]+)")


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _commands(block: str) -> list[str]:
    return [line.split()[0] for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_readme_fits_the_character_budget() -> None:
    length = len(_readme())
    assert length <= MAX_README_CHARACTERS, (
        f"README.md has {length} characters (limit {MAX_README_CHARACTERS}): move developer "
        "material to docs/")


def test_the_first_commands_are_the_two_contract_commands() -> None:
    text = _readme()
    first_block = FENCED_BLOCK.search(text)
    assert first_block, "README.md has no code block"
    assert _commands(first_block.group(1)) == CONTRACT_COMMANDS
    # The quick start comes before every section, right under the title and the pitch.
    assert first_block.start() < text.index("\n## ")


def test_development_section_repeats_the_commands_and_points_to_docs() -> None:
    development = _readme().split("\n## Development\n", 1)
    assert len(development) == 2, "README.md has no '## Development' section"
    block = FENCED_BLOCK.search(development[1])
    assert block and _commands(block.group(1)) == CONTRACT_COMMANDS
    assert "](docs/" in development[1]


def test_relative_links_resolve_in_the_repository() -> None:
    for document in [README, *sorted((REPO / "docs").glob("*.md"))]:
        for target in RELATIVE_LINK.findall(document.read_text(encoding="utf-8")):
            assert (document.parent / target).exists(), f"{document.name} links to {target}"


def test_docs_stay_out_of_the_package_and_the_readme_goes_in() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    from package import iter_package_files

    files = iter_package_files(REPO)
    assert "README.md" in files
    assert not [name for name in files if name.startswith("docs/")]


def test_docs_agree_with_the_code_on_the_oauth_window() -> None:
    """Issue 27: reliability.md said 15 minutes while the code and README said 5."""
    from gcal.google.oauth import STATE_MAX_AGE

    minutes = f"{STATE_MAX_AGE // 60} minutes"
    for document in (README, REPO / "docs" / "reliability.md"):
        text = " ".join(document.read_text(encoding="utf-8").split())
        assert minutes in text, (document.name, minutes)
        stated = re.findall(r"`state`[^.]*?(\d+) minutes", text)
        assert set(stated) <= {str(STATE_MAX_AGE // 60)}, (document.name, stated)


def test_one_name_for_dify_s_debugging_page() -> None:
    from remote_debug import DEBUG_PAGE

    page = DEBUG_PAGE.split("-> ", 1)[1].replace(" -> ", " → ")  # "Plugins → Debugging"
    for document in (REPO / ".env.example", REPO / "docs" / "README.md"):
        text = document.read_text(encoding="utf-8")
        assert page in text.replace("**", ""), document.name
        assert "Debug dialog" not in text.replace("**", "")
