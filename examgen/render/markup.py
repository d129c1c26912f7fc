"""The stem markup: plain text with ``$inline$`` and ``$$display$$`` math, blank lines between
paragraphs, ``- `` at the start of a line for a bullet list, and a block whose lines are all
indented by four spaces for code (shown verbatim, no math)."""

from __future__ import annotations

import re
from html import escape
from typing import Iterator

from .math import mathml, text as math_text

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)

SCRIPT = re.compile(r"\^(?P<sup>\{[^}]*\}|\([^)]*\)|\[[^\]]*\]|(?:[\w+-]|\.(?=\w))+)"
                    r"|(?<![\w\\])(?P<base>[A-Za-z])_(?P<sub>\{[^}]*\}|[A-Za-z0-9]+)")
"""A script written the ASCII way in prose (mistake descriptions, labels): ``sigma^2``,
``rho^{t-1}``, ``W^[l]``, ``G_t``, ``h_{t-1}``. A subscript needs a one-letter base, so words such as
``no_discount`` or ``conv2d_values`` stay as they are."""


def scripts(s: str, text, sup, sub) -> str:
    """``s`` with its prose scripts written by ``sup(body)`` and ``sub(body)``, the rest by
    ``text(part)`` (each writer escapes for its own format)."""
    out, pos = [], 0
    for m in SCRIPT.finditer(s):
        out.append(text(s[pos:m.start()]))
        if m["sup"] is not None:
            out.append(sup(text(m["sup"].strip("{}"))))
        else:
            out.append(text(m["base"]) + sub(text(m["sub"].strip("{}"))))
        pos = m.end()
    out.append(text(s[pos:]))
    return "".join(out)


def inline(s: str, prose, formula) -> str:
    """A line of markup: ``prose(text)`` for the text between formulas, ``formula(source,
    display)`` for each ``$...$`` (inline) or ``$$...$$`` (display) formula."""
    out, pos = [], 0
    for m in _MATH.finditer(s):
        out.append(prose(s[pos:m.start()]))
        display = m.group(1) is not None
        out.append(formula((m.group(1) if display else m.group(2)).strip(), display))
        pos = m.end()
    out.append(prose(s[pos:]))
    return "".join(out)


def blocks(text: str) -> Iterator[tuple[str, str | list[str]]]:
    """The blocks of a stem: ``("code", verbatim text)``, ``("list", [item, ...])`` or
    ``("paragraph", one line)``, the last two still holding inline markup."""
    for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines = block.split("\n")
        if all(line.startswith("    ") for line in lines):
            yield "code", "\n".join(line[4:] for line in lines)
        elif all(line.startswith("- ") for line in lines):
            yield "list", [line[2:] for line in lines]
        else:
            yield "paragraph", " ".join(lines)


def _prose_html(s: str) -> str:
    return scripts(s, escape, lambda b: f"<sup>{b}</sup>", lambda b: f"<sub>{b}</sub>")


def _inline_html(s: str, formula=mathml) -> str:
    return inline(s, _prose_html, formula)


def html(text: str, formula=mathml) -> str:
    """Safe HTML for a stem or prompt; ``formula(source, display)`` writes each formula (default:
    MathML; the LMS exporters pass other writers, e.g. ``\\( ... \\)`` for MathJax)."""
    out = []
    for kind, body in blocks(text):
        if kind == "code":
            out.append(f"<pre><code>{escape(body)}</code></pre>")
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{_inline_html(item, formula)}</li>" for item in body) + "</ul>")
        else:
            out.append(f"<p>{_inline_html(body, formula)}</p>")
    return "\n".join(out)


def inline_html(text: str, formula=mathml) -> str:
    """Safe HTML for a short label (no paragraphs)."""
    return _inline_html(text, formula)


def plain(text: str) -> str:
    """The markup as terminal text (math in Unicode; code blocks verbatim)."""
    blocks = re.split(r"(\n[ \t]*\n)", text)
    return "".join(b if b.startswith("    ") else _MATH.sub(lambda m: math_text((m.group(1) or m.group(2)).strip()), b)
                   for b in blocks)
