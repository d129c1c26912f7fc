"""One name per mistake: a mistake that two generators detect comes from the catalogue
(examgen/generators/_mistakes.py), and no two mistakes are near-duplicates of each other."""

from __future__ import annotations

import difflib
import itertools
import re
from collections import defaultdict
from functools import lru_cache

import pytest

from examgen import registry
from examgen.generators._mistakes import CATALOGUE, GRADIENT_ASCENT
from examgen.steps import CommonMistake, Steps

SEEDS = range(200)  # the mistakes a question declares depend on its givens
SIMILAR = 0.9
"""Descriptions this alike (difflib's ratio) are one mistake written twice: the copies the catalogue
replaced scored 0.98 and 1.0; the closest distinct pair today scores 0.86."""
SAME_WORD = {"no": "missing", "forgotten": "missing", "ignored": "missing", "without": "missing",
             "left": "missing", "omitted": "missing", "flipped": "swapped", "reversed": "swapped",
             "inverted": "swapped"}
DIRECTED = {"instead", "for", "as", "of", "to", "from", "over"}
"""Words after which word order carries meaning (mean_instead_of_sum is not sum_instead_of_mean)."""


@lru_cache(maxsize=1)
def declared() -> dict[str, dict[str, set[str]]]:
    """mistake name -> generator id -> the descriptions it gives that mistake, over SEEDS."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for gen in registry.all_generators():
        if gen.concept:  # named after their bank item's options (option_2, statement_3)
            continue
        for seed in SEEDS:
            for m in gen.generate(seed).mistakes:
                out[m.name][gen.id].add(m.description)
    return out


def test_every_mistake_two_generators_detect_is_in_the_catalogue():
    shared = {name: sorted(gens) for name, gens in declared().items() if len(gens) > 1}
    assert shared, "no mistake is shared: the test looks at nothing"
    assert not {n: g for n, g in shared.items() if n not in CATALOGUE}


def test_catalogue_mistakes_keep_their_description_everywhere():
    for name, gens in declared().items():
        if name in CATALOGUE:
            assert {d for ds in gens.values() for d in ds} == {CATALOGUE[name].description}, name


def test_every_catalogue_entry_is_used():
    assert set(CATALOGUE) <= set(declared())


def _words(name: str) -> tuple[str, ...]:
    words = [SAME_WORD.get(w, w) for w in name.lower().split("_")]
    words = [w.rstrip("es") if len(w) > 3 else w for w in words]  # bias, biases -> bia
    return tuple(words) if DIRECTED & set(words) else tuple(sorted(words))


def _similarity(x: str, y: str) -> float:
    m = difflib.SequenceMatcher(None, x.lower(), y.lower())
    return m.ratio() if m.real_quick_ratio() >= SIMILAR and m.quick_ratio() >= SIMILAR else 0.0


def test_no_two_mistakes_are_near_duplicates():
    texts = {name: {d for ds in gens.values() for d in ds} for name, gens in declared().items()}
    by_words = defaultdict(list)
    for name in texts:
        by_words[_words(name)].append(name)
    assert not [names for names in by_words.values() if len(names) > 1]
    alike = []
    for a, b in itertools.combinations(sorted(texts), 2):
        ratio = max(_similarity(x, y) for x in texts[a] for y in texts[b])
        if ratio >= SIMILAR:
            alike.append((a, b, round(ratio, 2)))
    assert not alike


def test_the_near_duplicate_check_finds_the_drift_it_was_written_for():
    for a, b in (("bias_missing", "bias_forgotten"), ("bias_forgotten", "biases_forgotten"),
                 ("flipped_kernel", "kernel_flipped"), ("no_discount", "discount_ignored")):
        assert _words(a) == _words(b), (a, b)
    assert _words("mean_instead_of_sum") != _words("sum_instead_of_mean")
    assert _similarity("added the gradient; gradient descent subtracts it",
                       "added the gradient: gradient descent subtracts it") >= SIMILAR
    assert _similarity("used log(sigma) where log(sigma^2) belongs", "used sigma where sigma^2 belongs") < SIMILAR


def test_catalogue_names_are_identifiers_and_entries_are_unique():
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in CATALOGUE)
    descriptions = [m.description for m in CATALOGUE.values()]
    assert len(set(descriptions)) == len(descriptions)


def test_a_catalogue_name_cannot_get_another_description():
    s = Steps(describe=True)
    with pytest.raises(ValueError, match="gradient_ascent.*catalogue"):
        s.mistake("gradient_ascent", "added the gradient")
    with pytest.raises(TypeError, match="own description"):
        s.mistake(GRADIENT_ASCENT, "added the gradient")
    with pytest.raises(TypeError, match="needs a description"):
        s.mistake("some_local_slip")
    assert s.mistake(GRADIENT_ASCENT) is False
    assert s.mistakes["gradient_ascent"]["description"] == GRADIENT_ASCENT.description
    assert Steps(mistake="gradient_ascent").mistake(GRADIENT_ASCENT) is True


def test_a_local_mistake_is_declared_with_its_description():
    s = Steps(describe=True)
    assert s.mistake(CommonMistake("x", "y").name, "local description") is False
    assert s.mistakes["x"]["description"] == "local description"
