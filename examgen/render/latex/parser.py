"""LaTeX source -> the formula tree (:mod:`.tree`), for the subset listed in :mod:`examgen.render.latex`."""

from __future__ import annotations

import re
from functools import lru_cache

from ...errors import ExamgenError
from .tree import (ACCENTS, Accent, Atom, BIG, DELIMITERS, ENVIRONMENTS, FUNCTIONS, Fenced, Frac, GREEK,
                    LIMIT_FUNCTIONS, Node, OPERATORS, ORDINARY, Row, SPACES, STYLES, Script, Space, Sqrt,
                    Styled, Table)


class LatexError(ExamgenError, ValueError):
    """A formula outside the supported subset (the message says where)."""


_TOKEN = re.compile(r"\\([A-Za-z]+)\*?|\\(.)|(\d+(?:\.\d+)?|\.\d+)|([A-Za-z])|(\s+)|(.)", re.S)
MAX_LENGTH = 20_000
NBSP = "\u00a0"


class Cursor:
    """A position in a list of tokens, shared by the parser and the evaluator (:mod:`.to_value`)."""

    tokens: list
    pos: int

    def error(self, message: str) -> Exception:
        raise NotImplementedError

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end")
        self.pos += 1
        return tok


class _Parser(Cursor):
    def __init__(self, src: str):
        if len(src) > MAX_LENGTH:
            raise LatexError("the formula is too long")
        self.src = src
        # a token: (text, command name, escaped char, number, letter, whitespace, other char)
        matches = [m for m in _TOKEN.finditer(src) if m[5] is None]
        self.tokens = [(m[0], *m.groups()) for m in matches]
        self.starts = [m.start() for m in matches] + [len(src)]
        self.pos = 0

    def error(self, message: str) -> LatexError:
        return LatexError(f"{message} in formula: {self.src[:120]}")

    def parse(self) -> Row:
        row = self.row(stop=())
        if self.peek() is not None:
            raise self.error(f"unexpected '{self.peek()[0]}'")
        return row

    def row(self, stop: tuple[str, ...]) -> Row:
        """Items until a token in ``stop`` ('}', '&', '\\\\', '\\right', '\\end')."""
        items: list = []
        while True:
            tok = self.peek()
            if tok is None or tok[0] in stop or (tok[1] in ("right", "end") and ("right" in stop or "end" in stop)):
                return Row(items)
            if tok[0] in ("^", "_"):
                self.take()
                base = items.pop() if items else Row([])
                arg = self.argument()
                if not isinstance(base, Script) or (base.sub if tok[0] == "_" else base.sup) is not None:
                    base = Script(base)
                if tok[0] == "_":
                    base.sub = arg
                else:
                    base.sup = arg
                items.append(base)
                continue
            if tok[0] == "'":
                self.take()
                base = items.pop() if items else Row([])
                prime = Atom("mo", "′")
                if isinstance(base, Script) and base.sub is not None and base.sup is None:
                    base.sup = prime
                    items.append(base)
                else:
                    items.append(Script(base, sup=prime))
                continue
            node = self.atom(items)
            if node is not None:
                items.append(node)

    def argument(self) -> Node:
        """A {group} or a single token (for scripts and command arguments). As in TeX, an
        unbraced argument is one character: ``\frac14`` is 1/4 and ``x^12`` is x¹2."""
        tok = self.peek()
        if tok is None:
            raise self.error("missing argument")
        if tok[3] is not None and len(tok[3]) > 1:
            first, rest = tok[3][0], tok[3][1:]
            self.tokens[self.pos] = (rest, None, None, rest if rest[0] != "." else None, None, None,
                                     "." if rest[0] == "." else None)
            if rest[0] == "." and len(rest) > 1:  # "1.5" split after "1": ".", then "5"
                self.tokens[self.pos:self.pos + 1] = [(".", None, None, None, None, None, "."),
                                                      (rest[1:], None, None, rest[1:], None, None, None)]
                self.starts[self.pos:self.pos + 1] = [self.starts[self.pos]] * 2
            return Atom("mn", first)
        if tok[0] == "{":
            self.take()
            row = self.row(stop=("}",))
            self.expect("}")
            return row
        node = self.atom([])
        if node is None:
            raise self.error("missing argument")
        return node

    def raw_group(self) -> str:
        """The text of a {group}, unparsed (for \\text and \\operatorname)."""
        self.expect("{")
        depth, out = 1, []
        while True:
            tok = self.take()
            if tok[0] == "{":
                depth += 1
            elif tok[0] == "}":
                depth -= 1
                if depth == 0:
                    return "".join(out)
            out.append(tok[0])

    def raw_text(self) -> str:
        """The text of a {group}, with its original spacing."""
        start = self.starts[self.pos]
        self.raw_group()
        return self.src[start:self.starts[self.pos - 1] + 1][1:-1]

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok[0] != text:
            raise self.error(f"expected '{text}', found '{tok[0]}'")

    def atom(self, before: list) -> Node | None:
        tok = self.take()
        whole, name, escaped, number, letter, _, other = tok
        if number is not None:
            return Atom("mn", number)
        if letter is not None:
            return Atom("mi", letter)
        if whole == "{":
            row = self.row(stop=("}",))
            self.expect("}")
            return row
        if whole == "}":
            raise self.error("unbalanced '}'")
        if escaped is not None:
            if escaped in SPACES:
                return Space(SPACES[escaped])
            if escaped in "{}%#$&_|":
                return Atom("mo", {"|": "‖"}.get(escaped, escaped))
            if escaped == "\\":
                raise self.error("'\\\\' outside a matrix or cases")
            raise self.error(f"unknown command '\\{escaped}'")
        if name is not None:
            return self.command(name, whole)
        if other == "-" and self._negative_sign(before):
            nxt = self.peek()
            if nxt is not None and nxt[3] is not None:
                self.take()
                return Atom("mn", "−" + nxt[3])
        if other is not None:
            sign = other in "+-" and self._negative_sign(before)
            return Atom("mo", {"-": "−", "*": "∗"}.get(other, other), prefix=sign)
        raise self.error(f"unexpected '{whole}'")

    @staticmethod
    def _negative_sign(before: list) -> bool:
        """A minus right at the start, or after an operator or opening bracket, belongs to a number."""
        if not before:
            return True
        last = before[-1]
        return isinstance(last, Atom) and last.kind == "mo" and last.text not in (")", "]", "|", "}", "′")

    def command(self, name: str, whole: str) -> Node:
        star = whole.endswith("*")
        if name in GREEK:
            return Atom("mi", GREEK[name])
        if name in ORDINARY:
            return Atom("mi", ORDINARY[name])
        if name in OPERATORS:
            return Atom("mo", OPERATORS[name])
        if name in BIG:
            return Atom("big", BIG[name], limits=name != "int")
        if name in FUNCTIONS:
            return Atom("fn", name)
        if name in LIMIT_FUNCTIONS:
            return Atom("fn", {"argmax": "arg max", "argmin": "arg min"}.get(name, name), limits=True)
        if name in SPACES:
            return Space(SPACES[name])
        if name in ("frac", "tfrac", "dfrac", "cfrac", "binom"):
            num = self.argument()
            return Frac(num, self.argument(), line=name != "binom")
        if name == "sqrt":
            index = None
            if self.peek() is not None and self.peek()[0] == "[":
                self.take()
                index = self.row(stop=("]",))
                self.expect("]")
            return Sqrt(self.argument(), index)
        if name in ACCENTS:
            return Accent(name, self.argument())
        if name == "operatorname":
            text = re.sub(r"\\[,;:! ]|\s+", " ", self.raw_group()).strip()
            return Atom("fn", text, limits=star)
        if name in STYLES:
            style = STYLES[name]
            if style == "text":
                return Atom("text", self.raw_text())
            if style == "upright":
                text = self.raw_group()
                if re.fullmatch(r"[A-Za-z]{2,}", text):
                    return Atom("text", text)
                return Styled("upright", _Parser(text).parse())
            return Styled(style, self.argument())
        if name == "left":
            open_ = self.delimiter()
            body = self.row(stop=("right",))
            tok = self.take()
            if tok[1] != "right":
                raise self.error("\\left without \\right")
            return Fenced(open_, body, self.delimiter())
        if name in ("big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"):
            return Atom("mo", self.delimiter())
        if name == "begin":
            return self.environment()
        if name in ("displaystyle", "textstyle", "limits", "nolimits", "mathstrut"):
            return Row([])
        if name in DELIMITERS:
            return Atom("mo", DELIMITERS[name])
        raise self.error(f"unknown command '\\{name}'")

    def delimiter(self) -> str:
        tok = self.take()
        key = tok[1] if tok[1] is not None else tok[0]
        if key not in DELIMITERS:
            raise self.error(f"'{tok[0]}' is not a delimiter")
        return DELIMITERS[key]

    def environment(self) -> Table:
        env = self.raw_group()
        if env not in ENVIRONMENTS:
            raise self.error(f"unknown environment '{env}'")
        rows: list[list] = [[]]
        while True:
            cell = self.row(stop=("&", "\\\\", "end"))
            rows[-1].append(cell)
            tok = self.take()
            if tok[0] == "&":
                continue
            if tok[0] == "\\\\":
                rows.append([])
                continue
            if tok[1] == "end":
                if self.raw_group() != env:
                    raise self.error(f"\\begin{{{env}}} ended by another \\end")
                break
        if rows and len(rows[-1]) == 1 and not rows[-1][0].items and len(rows) > 1:
            rows.pop()  # a trailing \\
        return Table(env, rows)


@lru_cache(maxsize=16384)
def parse(latex: str) -> Row:
    """The formula's tree (shared by the writers: treat it as read-only); :class:`LatexError`
    outside the subset."""
    return _Parser(latex).parse()

