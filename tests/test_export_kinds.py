"""The kinds' LMS facet (Kind.lms / Kind.lms_answer), on every step kind the generators use: the
form states the step's reference answer and tolerance, and the key, given back as an LMS would
collect it field by field, reads back as the reference (so imported responses grade as typed)."""

from __future__ import annotations

import numpy as np
import pytest

from examgen import kinds
from examgen.kinds import lms

from .export_support import close, variants


def _steps_by_kind():
    exams, _ = variants("generators")
    found = {}
    for q in exams[0].questions:
        for st in q.steps:
            if st.asked:
                found.setdefault(st.kind, st)
    return found


def test_every_registered_kind_is_used_and_has_a_form():
    found = _steps_by_kind()
    assert set(found) == set(kinds.names()), "a kind no generator uses cannot be checked here"
    for st in found.values():
        form = kinds.of(st).lms(st)
        assert isinstance(form, (lms.Number, lms.Options, lms.Order, lms.Unsupported, lms.Entries))


def _responses(form):
    """The key as an LMS collects it: one response per field."""
    leaves = form.entries if isinstance(form, lms.Entries) else (form,)
    out = []
    for leaf in leaves:
        if isinstance(leaf, lms.Number):
            out.append(repr(leaf.value))
        elif isinstance(leaf, lms.Options):
            out.append(list(leaf.correct) if leaf.multiple else leaf.correct[0])
        elif isinstance(leaf, lms.Order):
            out.append(list(leaf.correct))
        else:
            out.append(leaf.text)
    return out


@pytest.mark.parametrize("kind", sorted(kinds.names()))
def test_key_given_back_through_the_lms_reads_as_the_reference(kind):
    st = _steps_by_kind()[kind]
    k = kinds.of(st)
    form = k.lms(st)
    raw = k.lms_answer(st, _responses(form))
    assert np.all(k.matches(st, k.read(st, raw), k.reference(st)))
    assert k.lms_answer(st, [None] * len(_responses(form))) is None


@pytest.mark.parametrize("kind", ["scalar", "vector", "matrix"])
def test_number_forms_carry_the_steps_tolerance(kind):
    st = _steps_by_kind()[kind]
    form = kinds.of(st).lms(st)
    leaves = form.entries if isinstance(form, lms.Entries) else (form,)
    for leaf, v in zip(leaves, np.ravel(st.value)):
        assert close(leaf.value, float(v))
        assert close(leaf.margin, max(st.tolerance.abs, st.tolerance.rel * abs(float(v))))
        assert leaf.relative in (None, st.tolerance.rel)
