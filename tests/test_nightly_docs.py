"""docs/ci.md and .pre-commit-hooks.yaml use only commands and options the CLI really has."""

from __future__ import annotations

import re
import shlex

from .conftest import ROOT


def _options(cli, command: str) -> set[str]:
    code, out, _ = cli(command, "--help")
    assert code == 0
    return set(re.findall(r"(--[a-z][a-z-]*)", out))


def _commands(text: str) -> list[list[str]]:
    text = text.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        for m in re.finditer(r"evidence-kit (validate|diff)\b([^|;`\n]*)", line):
            found.append([m.group(1), *shlex.split(m.group(2).replace(">", " "), posix=True)])
    return found


def test_ci_docs_use_real_options(cli):
    text = (ROOT / "docs" / "ci.md").read_text()
    commands = _commands(text)
    assert len(commands) >= 6
    known = {name: _options(cli, name) for name in ("validate", "diff")}
    for cmd in commands:
        used = {a for a in cmd[1:] if a.startswith("--")}
        assert used <= known[cmd[0]], f"{cmd}: unknown options {used - known[cmd[0]]}"
    for needed in ("--baseline", "--write-baseline", "--jobs", "--format"):
        assert needed in text


def test_pre_commit_hook_definition(cli):
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert re.search(r"^- id: evidence-kit-validate$", text, re.M)
    entry = re.search(r"^  entry: (.+)$", text, re.M)
    assert entry is not None
    words = entry.group(1).split()
    assert words[:2] == ["evidence-kit", "validate"]
    assert set(words[2:]) <= _options(cli, "validate")
    assert re.search(r"^  pass_filenames: false$", text, re.M)
    assert re.search(r"^  language: python$", text, re.M)
    # pre-commit's `identify` tags .jsonl/.ndjson with nothing, so any type filter would skip JSON Lines exports
    assert not re.search(r"^  types(_or)?:", text, re.M)
