"""The README's "Try it" section, read as data: its token commands and its GraphQL examples, so the
test that runs them and the README cannot drift apart.

The section's form (README.md, "## Try it"):
- a ```sh block of lines ``export NAME=$(.venv/bin/farmgate token …)``: one token per role;
- ```graphql token=NAME blocks (``token=none``: no token), each optionally followed by a ```json
  block, its variables; a value ``<id of FG-…>`` stands for the id of the order of that number,
  ``<shipment id of FG-…>`` for its shipment's.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Try it"
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.M | re.S)
_TOKEN_LINE = re.compile(r"^export (\w+)=\$\(\.venv/bin/farmgate token (.+)\)$")
#: ``<id of FG-2021-000014>``: that order's id; ``<shipment id of FG-2021-000014>``: its shipment's
ID_PLACEHOLDER = re.compile(r"^<(id|shipment id) of (FG-\d{4}-\d{6})>$")


@dataclass
class Example:
    """One GraphQL example: its text, the token it names, its variables as written."""

    number: int
    query: str
    token: str | None
    variables: dict[str, Any] = field(default_factory=dict)

    @property
    def is_subscription(self) -> bool:
        return self.query.lstrip().startswith("subscription")

    @property
    def root_fields(self) -> list[str]:
        """The names of the operation's root fields (aliases not used in the README)."""
        body = self.query[self.query.index("{") + 1:]
        depth, names, word = 0, [], ""
        for char in body:
            if depth == 0 and (char.isalnum() or char == "_"):
                word += char
                continue
            if depth == 0 and word:
                names.append(word)
            word = ""
            if char in "{(":
                depth += 1
            elif char in "})":
                depth -= 1
        return names

    def __str__(self) -> str:
        return f"example {self.number} ({self.token or 'no token'}: {', '.join(self.root_fields)})"


def try_it_section(text: str | None = None) -> str:
    text = README.read_text(encoding="utf-8") if text is None else text
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end < 0 else text[start:end]


def token_commands(section: str) -> dict[str, list[str]]:
    """NAME → the arguments of its `farmgate token` command, as a shell would split them."""
    commands: dict[str, list[str]] = {}
    for match in _FENCE.finditer(section):
        if match.group(1).strip() != "sh":
            continue
        for line in match.group(2).splitlines():
            found = _TOKEN_LINE.match(line.strip())
            if found:
                commands[found.group(1)] = shlex.split(found.group(2))
    return commands


def examples(section: str) -> list[Example]:
    import json

    found: list[Example] = []
    for match in _FENCE.finditer(section):
        info = match.group(1).split()
        if not info:
            continue
        if info[0] == "graphql":
            options = dict(part.split("=", 1) for part in info[1:])
            token = options.get("token")
            found.append(Example(len(found) + 1, match.group(2), None if token in (None, "none") else token))
        elif info[0] == "json" and found and not found[-1].variables:
            found[-1].variables = json.loads(match.group(2))
    return found
