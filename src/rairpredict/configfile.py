"""YAML config files: parsed with the line of every key, mistakes named with a suggestion.

Shared by the cohort config and the target config so both answer a typo the
same way: ``file, line N: key 'colums': unknown key at top level; did you mean
'columns'?``. Also writes a config's JSON Schema, so editors (VS Code's YAML
extension, PyCharm) check a config as it is typed.

Examples
--------
>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "c.yaml"
>>> _ = p.write_text("name: x\\ncolums:\\n  age_years: Age\\n")
>>> doc = load_yaml(p)
>>> doc.data["colums"], doc.line("colums"), doc.line("colums", "age_years")
({'age_years': 'Age'}, 2, 3)
>>> did_you_mean("colums", ["name", "columns", "lacks"])
"; did you mean 'columns'?"
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = ["YamlDoc", "load_yaml", "did_you_mean", "closest", "write_json_schema"]


def closest(word, choices, cutoff: float = 0.5):
    """The choice most like ``word`` (case-blind), or None."""
    choices = [str(c) for c in choices]
    lowered = {c.lower(): c for c in choices}
    hit = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[hit[0]] if hit else None


def did_you_mean(word, choices, cutoff: float = 0.5) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, else ``""``."""
    hit = closest(word, choices, cutoff)
    return f"; did you mean {hit!r}?" if hit is not None else ""


@dataclass
class YamlDoc:
    """A parsed YAML document and the 1-based line of every mapping key and list item."""

    data: object
    path: str
    lines: dict = field(default_factory=dict)

    def line(self, *keys) -> int | None:
        """Line of the deepest of ``keys`` that exists (None when none does)."""
        keys = tuple(keys)
        while keys:
            if keys in self.lines:
                return self.lines[keys]
            keys = keys[:-1]
        return None

    def where(self, *keys) -> str:
        """``"path, line N"`` (or ``"path"`` when the key has no line)."""
        n = self.line(*keys)
        return f"{self.path}, line {n}" if n else str(self.path)


def _walk(node, prefix, lines):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (prefix + (key_node.value,)) if isinstance(key_node, yaml.ScalarNode) else prefix
            lines.setdefault(key, key_node.start_mark.line + 1)
            _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.setdefault(prefix + (i,), item.start_mark.line + 1)
            _walk(item, prefix + (i,), lines)


def load_yaml(path, error=None) -> YamlDoc:
    """Parse a YAML file; ``error(where, message)`` builds the exception raised on failure.

    The default error is :class:`rairpredict.errors.ConfigError` with
    ``"<path>, line N: <message>"``. Syntax errors name the line and the usual
    cause (indentation, an unquoted ``:`` or ``#``).
    """
    from rairpredict.errors import ConfigError

    error = error or (lambda where, msg: ConfigError(f"{where}: {msg}"))
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(str(path), "config file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(str(path), f"unreadable config: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(where, f"invalid YAML: {problem} (check the indentation, and quote values "
                           "that contain ':' or '#')") from None
    lines: dict = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlDoc(data, str(path), lines)


def write_json_schema(schema: dict, path) -> Path:
    """Write ``schema`` as indented JSON (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
