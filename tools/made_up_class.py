"""A made-up class to try the class flow on: a roster, and a submission per student of every kind a
teacher meets (used by tests/test_class_flow.py and benchmarks/bench.py).

    python tools/made_up_class.py CLASS_DIR SUBMISSIONS_DIR   # after: examgen make --students roster.csv

Kinds, by student (cycling through the roster): ``correct`` (the key), ``partial`` (every other
part answered right, the rest blank), ``follow_through`` (a wrong first step, later steps computed
from it), ``mistake`` (every question answered with one named mistake), ``swapped`` (a student's
own variant with the next student's name: the next student then has two sheets), ``duplicate``
(two files for the student: the key and a blank sheet), ``missing`` (no file), ``malformed`` (not
JSON), ``hostile`` (escape codes in the name, a 10,000-digit number, a lone surrogate, an answer
nested 300 deep, 2,000 unknown question ids, ``1e999999``, ``[[1], 2]``) and ``unnamed`` (saved
without a student: matched by its variant). Rosters get names with non-ASCII letters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

KINDS = ("correct", "partial", "follow_through", "mistake", "swapped", "duplicate", "missing", "malformed",
         "hostile", "unnamed")
FIRST = ("Ada", "Alan", "Åse", "Bjørn", "Chioma", "Dmitri", "Eun-ji", "Fatima", "Grace", "Hiroshi", "Ingrid",
         "José", "Kari", "Lars", "Mei", "Nils", "Olga", "Pål", "Quentin", "Ragnhild")
LAST = ("Lovelace", "Turing", "Hopper", "Nakamura", "Østby", "Okafor", "Ivanova", "Kim", "Haddad", "Sæther")


def roster(n: int) -> str:
    """A roster CSV of ``n`` made-up students (ids s001, s002, ...)."""
    lines = ["id,name,section"]
    for i in range(n):
        lines.append(f"s{i + 1:03d},\"{LAST[i % len(LAST)]}, {FIRST[(i * 7) % len(FIRST)]}\",group {i % 3 + 1}")
    return "\n".join(lines) + "\n"


def kind_of(index: int) -> str:
    return KINDS[index % len(KINDS)]


def _answers(exam: dict, values) -> dict:
    """An answers object: every asked step of every part, valued by ``values(question, step name)``."""
    return {q["id"]: {p["id"]: {n: values(q, n) for n in p["steps"]} for p in q["parts"]} for q in exam["questions"]}


def _key(q: dict, name: str):
    return next(s["value"] for s in q["steps"] if s["name"] == name)


def _rerun(q: dict, substitute=None, mistake=None) -> dict:
    """The solver's step values for question ``q`` (follow-through or a mistake), as JSON."""
    from examgen import registry
    from examgen.steps import to_json

    gen = registry.get(q["generator"])
    if not gen.rerun:
        return {}
    g = gen.Givens.model_validate(q["givens"])
    return {k: to_json(v) for k, v in gen.run(g, substitute=substitute, mistake=mistake).values.items()}


def _follow_through(q: dict) -> dict:
    """A wrong value for the first asked number that a later asked step builds on, and every later
    step computed from it."""
    asked = [s for s in q["steps"] if s["asked"]]
    for i, first in enumerate(asked):
        if first["kind"] not in ("scalar", "vector", "matrix"):
            continue
        wrong = np.asarray(first["value"], dtype=float) + 1.37
        values = _rerun(q, substitute={first["name"]: wrong if wrong.ndim else float(wrong)})
        if any(s["name"] in values and values[s["name"]] != s["value"] for s in asked[i + 1:]):
            values[first["name"]] = wrong.tolist()
            return values
    return {}


def _mistaken(q: dict) -> dict:
    return _rerun(q, mistake=q["mistakes"][0]["name"]) if q["mistakes"] else {}


def sheet(exam: dict, student: dict | None, kind: str) -> dict:
    """The answers file a student of ``kind`` hands in for their variant ``exam`` (the exam.json)."""
    base = {"format": "examgen-answers/1", "exam_id": exam["id"], "spec": exam["spec"]}
    if student is not None:
        base["student"] = {"id": student["id"], "name": student.get("name")}
    if kind in ("correct", "swapped", "unnamed", "duplicate"):
        values = lambda q, n: _key(q, n)
    elif kind == "partial":
        values = lambda q, n: _key(q, n) if [p["id"] for p in q["parts"]].index(_part(q, n)) % 2 == 0 else None
    elif kind in ("follow_through", "mistake"):
        cache = {q["id"]: (_follow_through(q) if kind == "follow_through" else _mistaken(q)) for q in exam["questions"]}
        values = lambda q, n: cache[q["id"]].get(n, _key(q, n))
    else:
        raise ValueError(kind)
    return base | {"answers": _answers(exam, values)}


def _part(q: dict, name: str) -> str:
    return next(p["id"] for p in q["parts"] if name in p["steps"])


def hostile(exam: dict, student: dict) -> str:
    """A sheet for ``student`` full of hostile input (as JSON text: some of it is not valid JSON
    for Python's encoder), every other answer right."""
    data = sheet(exam, student, "correct")
    data["student"]["name"] = "\x1b[31mEvil\x1b[0m\r\nforged,100,100 \u202egnp.exe"
    q = exam["questions"][0]
    steps = [n for p in q["parts"] for n in p["steps"]]
    placed = {}
    for p in q["parts"]:
        for n in p["steps"]:
            placed[n] = p["id"]
    tricks = ["__BIGINT__", "__SURROGATE__", "__DEEP__", "1e999999", [[1], 2], "\x1b]0;pwned\x07\x1b[2J"]
    for name, trick in zip(steps, tricks):
        data["answers"][q["id"]][placed[name]][name] = trick
    for i in range(2000):
        data["answers"][f"zz{i}"] = {"a": {"x": 1}}
    text = json.dumps(data)
    return (text.replace('"__BIGINT__"', "1" * 10_000).replace('"__SURROGATE__"', '"\\ud800"')
            .replace('"__DEEP__"', "[" * 300 + "]" * 300))


def write(class_dir: Path, out: Path) -> dict[str, str]:
    """Write a submission per roster student of ``class_dir`` into ``out``; returns student id ->
    kind (see the module docstring)."""
    record = json.loads((class_dir / "class.json").read_text(encoding="utf-8"))
    students = record["students"]
    out.mkdir(parents=True, exist_ok=True)
    kinds = {}
    for i, st in enumerate(students):
        kind = kinds[st["id"]] = kind_of(i)
        exam = json.loads((class_dir / "teacher" / st["folder"] / "exam.json").read_text(encoding="utf-8"))
        name = out / f"{st['folder']}.json"
        if kind == "missing":
            continue
        if kind == "malformed":
            name.write_text('{"format": "examgen-answers/1", "exam_id": ', encoding="utf-8")
        elif kind == "hostile":
            name.write_text(hostile(exam, st), encoding="utf-8")
        elif kind == "swapped":  # my own variant, the next student's name
            other = students[(i + 1) % len(students)]
            name.write_text(json.dumps(sheet(exam, other, "correct")), encoding="utf-8")
        elif kind == "unnamed":
            name.write_text(json.dumps(sheet(exam, None, kind)), encoding="utf-8")
        elif kind == "duplicate":
            name.write_text(json.dumps(sheet(exam, st, "correct")), encoding="utf-8")
            (out / f"{st['folder']}-resubmitted.json").write_text(json.dumps(sheet(exam, st, "partial")),
                                                                   encoding="utf-8")
        else:
            name.write_text(json.dumps(sheet(exam, st, kind)), encoding="utf-8")
    return kinds


if __name__ == "__main__":
    print(write(Path(sys.argv[1]), Path(sys.argv[2])))
