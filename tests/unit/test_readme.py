"""README.md's two commands, and that CI runs the second one.

The README promises a newcomer exactly two commands: ``tools/run-service`` (the service on
the embedded default, with the simulated cloud) and ``tools/run-tests`` (the whole suite).
``tests/integration/test_readme_fresh_clone.py`` runs the first one in a fresh clone; the
second is the test command itself, so instead of recursing into it this checks that it is
what ``.ci/run`` executes. :func:`readme_commands` is the one parser of the README both use.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHELL_LANGUAGES = ("sh", "bash", "shell", "console")
_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)\s*$")


def shell_blocks(markdown: str) -> list[list[str]]:
    """The lines of each fenced code block tagged as shell, in document order."""
    blocks: list[list[str]] = []
    fence: str | None = None
    current: list[str] | None = None
    for line in markdown.splitlines():
        match = _FENCE.match(line.strip())
        if fence is None:
            if match:
                fence = match.group(1)
                current = [] if match.group(2).lower() in SHELL_LANGUAGES else None
            continue
        if match and line.strip().startswith(fence) and not match.group(2):
            if current is not None:
                blocks.append(current)
            fence, current = None, None
            continue
        if current is not None:
            current.append(line)
    return blocks


def command_words(line: str) -> list[str]:
    """One shell line as words, its ``# comment`` and a ``$ `` prompt removed."""
    words = shlex.split(line, comments=True)
    return words[1:] if words[:1] == ["$"] else words


def readme_commands(readme: Path = REPO / "README.md") -> list[list[str]]:
    """The commands of README.md's shell blocks, in order (comment-only lines skipped).

    The README's "first command" is the first line of its first shell block."""
    return [words for block in shell_blocks(readme.read_text(encoding="utf-8"))
            for words in map(command_words, block) if words]


def test_readme_has_exactly_the_two_commands():
    blocks = shell_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    assert blocks, "README.md has no ```sh code block"
    assert command_words(blocks[0][0]) == ["tools/run-service"], blocks[0]
    assert readme_commands()[:2] == [["tools/run-service"], ["tools/run-tests"]]


def test_both_commands_are_executable_scripts_run_from_the_repository_root():
    for words in readme_commands()[:2]:
        script = REPO / words[0]
        assert script.is_file(), f"README names {words[0]}, which does not exist"
        assert os.access(script, os.X_OK), f"{words[0]} is not executable"
        assert script.read_text().startswith("#!/usr/bin/env bash\n"), words[0]


def test_ci_runs_exactly_the_readme_test_command():
    test_command = readme_commands()[1]
    lines = [line.strip() for line in (REPO / ".ci/run").read_text().splitlines()]
    code = [command_words(line) for line in lines if line and not line.startswith("#")]
    code = [words for words in code if words]
    # cd to the repository root (the README's commands are relative to it), then exec it
    assert 'cd "$(dirname "$0")/.."' in lines
    assert code[-1] == ["exec", *test_command], code
    assert ["set", "-euo", "pipefail"] in code
    assert os.access(REPO / ".ci/run", os.X_OK)


def test_parser_reads_fences_prompts_and_comments():
    text = ("intro\n```python\nprint('no')\n```\n```sh\n$ tools/a --x  # first\n\n"
            "# only a comment\ntools/b\n```\n~~~bash\ntools/c 'two words'\n~~~\n")
    assert shell_blocks(text) == [["$ tools/a --x  # first", "", "# only a comment", "tools/b"],
                                  ["tools/c 'two words'"]]
    assert [command_words(line) for block in shell_blocks(text) for line in block
            if command_words(line)] == [["tools/a", "--x"], ["tools/b"], ["tools/c", "two words"]]
