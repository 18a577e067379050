"""Google's ``fields`` partial-response selector.

Example: ``items(id,start/dateTime),nextPageToken``.
"""

from __future__ import annotations

from typing import Any

from .errors import invalid_parameter

Tree = dict[str, "Tree"]


def parse(expr: str) -> Tree:
    pos = 0

    def fail() -> Any:
        raise invalid_parameter("fields", f"Invalid field selection {expr}")

    def parse_list(stop: str | None) -> Tree:
        nonlocal pos
        tree: Tree = {}
        while True:
            path = []
            name = ""
            while pos < len(expr) and expr[pos] not in ",()/":
                name += expr[pos]
                pos += 1
            name = name.strip()
            if not name:
                fail()
            path.append(name)
            while pos < len(expr) and expr[pos] == "/":
                pos += 1
                name = ""
                while pos < len(expr) and expr[pos] not in ",()/":
                    name += expr[pos]
                    pos += 1
                if not name.strip():
                    fail()
                path.append(name.strip())
            sub: Tree = {}
            if pos < len(expr) and expr[pos] == "(":
                pos += 1
                sub = parse_list(")")
                if pos >= len(expr) or expr[pos] != ")":
                    fail()
                pos += 1
            node = tree
            for part in path[:-1]:
                node = node.setdefault(part, {})
            leaf = node.setdefault(path[-1], {})
            leaf.update(sub)
            if pos < len(expr) and expr[pos] == ",":
                pos += 1
                continue
            if stop is None and pos < len(expr):
                fail()
            return tree

    result = parse_list(None)
    if pos != len(expr):
        fail()
    return result


def apply(value: Any, tree: Tree) -> Any:
    if not tree or ("*" in tree and len(tree) == 1 and not tree["*"]):
        return value
    if isinstance(value, list):
        return [apply(v, tree) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in tree:
                out[k] = apply(v, tree[k])
            elif "*" in tree:
                out[k] = apply(v, tree["*"])
        return out
    return value
