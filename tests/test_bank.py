"""The conceptual question bank: every item valid, covered goals, no duplicates, and the scoring rules."""

from __future__ import annotations

import itertools
import textwrap

import pytest
import yaml

from examgen import bank, registry
from examgen.grading.mark import grade_question
from examgen.resources import data_dir
from examgen.topics import TOPICS

from .conftest import invoke_cli

FILES = sorted(data_dir("question_bank").glob("*.yaml"))


def test_every_bank_file_loads_and_ids_are_unique():
    items = bank.load()
    assert len(items) == sum(len(yaml.safe_load(f.read_text())["items"]) for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_items_read_independently_of_the_models(path):
    """Re-check the rules on the raw YAML, not through the code that enforces them."""
    data = yaml.safe_load(path.read_text())
    for item in data["items"]:
        assert len(item["explanation"].split()) >= 8, f"{item['id']}: the explanation is too thin"
        if item["type"] == "single":
            assert sum(bool(o.get("correct")) for o in item["options"]) == 1, item["id"]
        if item["type"] in ("single", "multi"):
            for o in item["options"]:
                if not o.get("correct"):
                    assert len(o.get("why", "").split()) >= 4, f"{item['id']}: wrong option without a reason"
        if item["type"] == "truefalse":
            assert all(len(s["why"].split()) >= 4 for s in item["statements"]), item["id"]


def test_no_two_items_are_duplicates():
    assert bank.duplicates([item for _, item in bank.load().values()]) == []


def test_coverage_every_goal_two_items_every_lecture_ten():
    assert bank.gaps() == []
    for t in TOPICS:
        assert sum(bank.coverage()[t.id].values()) >= bank.MIN_PER_LECTURE


def test_bank_check_command():
    r = invoke_cli("bank", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "items valid" in r.stdout and "no duplicates" in r.stdout
    r = invoke_cli("list", "--concepts")
    assert r.returncode == 0 and "05 cnn" in r.stdout


def test_bank_check_reports_file_item_and_field(tmp_path):
    (tmp_path / "05-broken.yaml").write_text(textwrap.dedent("""\
        lecture: 5
        items:
          - id: two-right
            goal: "05.1"
            type: single
            stem: Which?
            explanation: Only one of these can be right, so this item is broken on purpose here.
            options:
              - {text: A, correct: true}
              - {text: B, correct: true}
        """))
    r = invoke_cli("bank", "check", "--dir", str(tmp_path))
    assert r.returncode == 1 and "05-broken.yaml" in r.stderr and "two-right" in r.stderr
    assert "exactly one correct option, has 2" in r.stderr and "Traceback" not in r.stderr


# --- scoring rules, on a small bank of our own --------------------------------------------------

TEST_BANK = """\
lecture: 5
items:
  - id: t-single
    goal: "05.1"
    type: single
    stem: Pick the red one.
    explanation: Red is the colour of the first option, which is what the question asks for.
    options:
      - {text: red, correct: true}
      - {text: blue, why: blue is not red at all}
      - {text: green, why: green is not red either}
  - id: t-multi
    goal: "05.2"
    type: multi
    stem: Pick the primes.
    explanation: Two, three and five are prime; four and six have other divisors than one and themselves.
    options:
      - {text: "2", correct: true}
      - {text: "3", correct: true}
      - {text: "4", why: four is two times two}
      - {text: "5", correct: true}
      - {text: "6", why: six is two times three}
  - id: t-tf
    goal: "05.3"
    type: truefalse
    stem: True or false?
    explanation: Each statement is a plain fact about small numbers that anyone can check quickly.
    statements:
      - {text: one is odd, answer: true, why: one leaves remainder one}
      - {text: two is odd, answer: false, why: two is divisible by two}
      - {text: three is odd, answer: true, why: three leaves remainder one}
      - {text: four is odd, answer: false, why: four is divisible by two}
  - id: t-order
    goal: "05.4"
    type: ordering
    stem: Order from small to large.
    explanation: The numbers one, two, three and four in increasing order, as counted.
    order: [one, two, three, four]
"""


@pytest.fixture
def small_bank(tmp_path, monkeypatch):
    (tmp_path / "05-test.yaml").write_text(TEST_BANK)
    bank.load.cache_clear()
    monkeypatch.setattr(bank, "data_dir", lambda name: tmp_path)
    yield registry.get("concept_cnn")
    bank.load.cache_clear()


def _question(gen, item_id, seed=0):
    """The ``seed``-th drawn question (counting from 0) that asks ``item_id``: through the registry's
    generator only, as an exam draws it."""
    asking = (q for q in map(gen.generate, itertools.count()) if q.givens["item"] == item_id)
    return next(itertools.islice(asking, seed, None))


def _grade(q, answer):
    return grade_question(q, {"a": {"answer": answer}}).parts[0]


def letters_of(q, texts):
    options = q.steps[0].options
    return ", ".join("ABCDEFG"[options.index(t)] for t in texts)


def test_single_choice_is_all_or_nothing_with_feedback(small_bank):
    q = _question(small_bank, "t-single")
    assert _grade(q, letters_of(q, ["red"])).score == 10
    assert _grade(q, "red").score == 10  # the option's text works too
    wrong = _grade(q, letters_of(q, ["blue"]))
    assert wrong.score == 0 and wrong.steps[0].status == "mistake"
    assert "blue is not red at all" in wrong.steps[0].message
    bad = _grade(q, "Z").steps[0]
    assert bad.status == "invalid" and "no option Z" in bad.message


def test_multi_select_each_wrong_tick_cancels_a_right_one(small_bank):
    q = _question(small_bank, "t-multi")
    assert _grade(q, letters_of(q, ["2", "3", "5"])).score == 10
    # two of three right, no wrong tick: 2/3
    assert _grade(q, letters_of(q, ["2", "3"])).score == pytest.approx(6.7)
    # three right and one wrong: (3 - 1) / 3
    part = _grade(q, letters_of(q, ["2", "3", "5", "4"]))
    assert part.score == pytest.approx(6.7) and "four is two times two" in part.steps[0].message
    # everything ticked: (3 - 2) / 3
    assert _grade(q, letters_of(q, ["2", "3", "4", "5", "6"])).score == pytest.approx(3.3)
    # one right and two wrong: floored at 0
    assert _grade(q, letters_of(q, ["2", "4", "6"])).score == 0


def test_true_false_scores_per_statement(small_bank):
    q = _question(small_bank, "t-tf")
    truth = ["T" if v == "true" else "F" for v in q.steps[0].value]
    assert _grade(q, " ".join(truth)).score == 10
    one_wrong = truth[:]
    one_wrong[0] = "F" if truth[0] == "T" else "T"
    part = _grade(q, "".join(one_wrong))
    assert part.score == pytest.approx(7.5)
    statement = q.steps[0].options[0]
    why = {"one is odd": "remainder one", "two is odd": "divisible by two",
           "three is odd": "remainder one", "four is odd": "divisible by two"}[statement]
    assert why in part.steps[0].message
    assert _grade(q, "T F").steps[0].status == "invalid"


def test_ordering_credits_pairs_in_the_right_order(small_bank):
    q = _question(small_bank, "t-order")
    right = ["one", "two", "three", "four"]
    assert _grade(q, letters_of(q, right)).score == 10
    # one adjacent swap: 5 of 6 pairs in order
    assert _grade(q, letters_of(q, ["two", "one", "three", "four"])).score == pytest.approx(8.3)
    reversed_ = _grade(q, letters_of(q, right[::-1]))
    assert reversed_.score == 0 and reversed_.steps[0].status == "mistake"
    assert _grade(q, "A, A, B, C").steps[0].status == "invalid"


def test_items_are_randomised_per_seed_and_reproducible(small_bank):
    orders = {tuple(_question(small_bank, "t-multi", seed).steps[0].options) for seed in range(20)}
    assert len(orders) > 5
    assert _question(small_bank, "t-multi", 3) == _question(small_bank, "t-multi", 3)
