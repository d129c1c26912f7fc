"""What a generator's givens are, for someone typing in a problem: a table of every given (type,
range, default, an example value), a complete ``examgen solve`` line or givens file to edit, and
reading such a file back.

Everything is read from the generator's ``Givens`` pydantic model (its JSON Schema: field types,
constraints, defaults and descriptions), so the table cannot drift from what ``solve`` accepts.
Checks that span several fields (sizes that must agree, a degenerate problem) live in the model's
validators and the solver; the table says so rather than repeating them.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import io
from .registry import Generator, GivenError, describe_validation

GIVENS_FILE_MAX_BYTES = 1_000_000
"""A givens file is a teacher's problem, a few kB; anything larger is refused before parsing."""

EXAMPLE_SEED = 0
"""The seed whose drawn givens serve as the example when none is given."""


@dataclass(frozen=True)
class GivenDoc:
    """One row of the givens table."""

    name: str
    type: str
    range: str
    default: str
    example: str
    description: str


# --- the table ----------------------------------------------------------------------------------

def example(gen: Generator, seed: int | None = None) -> dict[str, Any]:
    """The givens of a random question (JSON values), the example a template starts from."""
    g = gen.draw(np.random.default_rng(EXAMPLE_SEED if seed is None else seed))
    return g.model_dump(mode="json")


def describe(gen: Generator, sample: dict[str, Any] | None = None) -> list[GivenDoc]:
    """One row per given (and per field of a given that is a list of objects, ``layers[].kernel``)."""
    schema = gen.Givens.model_json_schema()
    defs = schema.get("$defs", {})
    sample = example(gen) if sample is None else sample
    required = set(schema.get("required", []))
    rows: list[GivenDoc] = []
    for name, node in schema["properties"].items():
        rows += _rows(name, node, defs, name in required, sample.get(name))
    return rows


def _rows(name: str, node: dict, defs: dict, required: bool, value: Any) -> list[GivenDoc]:
    node = _deref(node, defs)
    if "default" in node:
        default = "none" if node["default"] is None else _compact(node["default"])
    else:
        default = "required"
    row = GivenDoc(name, _type(node, defs), _range(node, defs), default if not required else "required",
                   "" if value is None else _compact(value), node.get("description", ""))
    rows = [row]
    items = _deref(node.get("items", {}), defs)
    if items.get("type") == "object":  # a list of objects: one row per field of the object
        first = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}
        inner = set(items.get("required", []))
        for sub, sub_node in items.get("properties", {}).items():
            rows += _rows(f"{name}[].{sub}", sub_node, defs, sub in inner, first.get(sub))
    return rows


def _deref(node: dict, defs: dict) -> dict:
    if "$ref" in node:
        return {**defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


_NAMES = {"number": "number", "integer": "integer", "boolean": "true/false", "string": "text",
          "object": "object"}


def _type(node: dict, defs: dict, plural: bool = False) -> str:
    """A schema node in words: 'number', 'list of numbers', 'one of max, average', ..."""
    node = _deref(node, defs)
    if "enum" in node:
        return "one of " + ", ".join(str(v) for v in node["enum"])
    if "const" in node:
        return f"exactly {node['const']}"
    if "anyOf" in node:
        kinds = [k for k in node["anyOf"] if k.get("type") != "null"]
        return " or ".join(_type(k, defs, plural) for k in kinds) or "null"
    kind = node.get("type")
    if kind == "array":
        if "prefixItems" in node:
            return "[" + ", ".join(_type(k, defs) for k in node["prefixItems"]) + "]"
        return ("lists of " if plural else "list of ") + _type(node.get("items", {}), defs, plural=True)
    if kind is None:
        return "JSON value"
    word = node.get("title", "object") if kind == "object" else _NAMES.get(kind, kind)
    return word + ("s" if plural and kind in ("number", "integer", "object", "string") else "")


def _bounds(node: dict) -> str:
    low = (">", node["exclusiveMinimum"]) if "exclusiveMinimum" in node else (
        ("≥", node["minimum"]) if "minimum" in node else None)
    high = ("<", node["exclusiveMaximum"]) if "exclusiveMaximum" in node else (
        ("≤", node["maximum"]) if "maximum" in node else None)
    if low and high:
        left = "(" if low[0] == ">" else "["
        right = ")" if high[0] == "<" else "]"
        return f"{left}{_compact(low[1])}, {_compact(high[1])}{right}"
    if low or high:
        op, bound = low or high
        return f"{op} {_compact(bound)}"
    if "pattern" in node:
        return f"matches {node['pattern']}"
    return ""


def _count(node: dict) -> str:
    lo, hi = node.get("minItems"), node.get("maxItems")
    if lo is not None and hi is not None:
        return f"{lo} entries" if lo == hi else f"{lo}-{hi} entries"
    return f"≥ {lo} entries" if lo is not None else f"≤ {hi} entries" if hi is not None else ""


def _range(node: dict, defs: dict) -> str:
    """Bounds of a number; for a list, its number of entries, those of the lists inside it and the
    bounds of the numbers at the bottom."""
    node = _deref(node, defs)
    if "anyOf" in node:
        return "; ".join(r for r in (_range(k, defs) for k in node["anyOf"] if k.get("type") != "null") if r)
    if node.get("type") != "array":
        return _bounds(node)
    if "prefixItems" in node:
        return ""  # a pair such as [row, col]: its type says it all
    parts = [_count(node)]
    while node.get("type") == "array" and "prefixItems" not in node:
        node = _deref(node.get("items", {}), defs)
        if node.get("type") == "array" and "prefixItems" not in node:
            parts.append(f"inner lists {_count(node)}" if _count(node) else "")
    leaf = _bounds(node) if node.get("type") != "object" else ""
    if leaf:
        parts.append(f"each {leaf}")
    return "; ".join(p for p in parts if p)


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if abs(value) >= 1e4 else repr(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def table(gen: Generator, sample: dict[str, Any] | None = None, width: int = 30) -> str:
    """The givens as a text table: name, type, range, default, example; each description below."""
    rows = describe(gen, sample)
    head = GivenDoc("given", "type", "range", "default", "example", "")
    cells = [(r.name, r.type, r.range, r.default, _clip(r.example, width)) for r in [head, *rows]]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = []
    for (row, c) in zip([head, *rows], cells):
        lines.append("  " + "  ".join(c[i].ljust(widths[i]) for i in range(4)) + "  " + c[4])
        if row.description:
            lines.append("  " + " " * (widths[0] + 2) + row.description)
    return "\n".join(line.rstrip() for line in lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- templates ----------------------------------------------------------------------------------

def _word(value: Any) -> str:
    """A given's value as ``--given`` reads it (``cli._given_value``): JSON, or a bare word for text
    that JSON would read as something else."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def template_line(gen: Generator, givens: dict[str, Any]) -> str:
    """A complete, shell-quoted ``examgen solve GEN --given NAME=VALUE ...`` line (unset optional
    givens left out)."""
    words = ["examgen", "solve", gen.id]
    for name, value in givens.items():
        if value is not None:
            words += ["--given", f"{name}={_word(value)}"]
    return " ".join(shlex.quote(w) for w in words)


def template_file(gen: Generator, givens: dict[str, Any]) -> str:
    """A givens file (JSON) for ``examgen solve GEN --givens-file FILE``."""
    from .model import GivensFile

    doc = GivensFile(generator=gen.id, givens={k: v for k, v in givens.items() if v is not None})
    return io.dump(doc)


def read_file(path, gen: Generator) -> dict[str, Any]:
    """The givens in a givens file, checked against ``gen``; :class:`io.InputError` naming the file
    and field otherwise (a problem in the values themselves is checked by ``Generator.givens``)."""
    from pydantic import ValidationError

    from .model import GivensFile

    data = io.read_json(path, max_bytes=GIVENS_FILE_MAX_BYTES, constants=False)
    if isinstance(data, dict) and "format" in data and data["format"] != GivensFile.model_fields["format"].default:
        raise io.InputError(f"{path}: field 'format' is '{data['format']}', expected "
                            f"'{GivensFile.model_fields['format'].default}' (is this a givens file?)")
    try:
        doc = GivensFile.model_validate(data)
    except ValidationError as e:
        raise io.InputError(describe_validation(e, str(path))) from None
    if doc.generator != gen.id:
        raise io.InputError(f"{path}: field 'generator' is '{doc.generator}', but the givens are for '{gen.id}'")
    return dict(doc.givens)


def solvable(gen: Generator, givens: dict[str, Any]) -> bool:
    """Do these givens make a problem on their own (a template needs no example to complete them)?"""
    try:
        return bool(givens) and gen.givens(givens) is not None
    except GivenError:
        return False


def check(gen: Generator, givens: dict[str, Any], where: str | None = None):
    """``Generator.givens``, with the file named in front of its one-line error."""
    try:
        return gen.givens(givens)
    except GivenError as e:
        if where is None:
            raise
        raise GivenError(f"{where}: {e}") from None
