"""Sentences every stem says the same way: the calculator policy.

The exam's instructions (:data:`examgen.policy.INSTRUCTIONS`) say that a question is meant to be
done by hand unless it says otherwise. A question whose numbers are not hand-computable says so
with :func:`calculator` (naming what the calculator is for), and may instead, or as well, give the
values it needs with :func:`given_values`. Nothing else in a stem talks about calculators.
"""

from __future__ import annotations

from collections.abc import Iterable


def calculator(what: str) -> str:
    """'You may use a calculator for the exponentials.' (``what``: e.g. 'the exponentials', '$\\tanh$')."""
    return f"You may use a calculator for {what}."


def given_values(values: Iterable[str]) -> str:
    """'You may use $e^{0.5} = 1.6487$ and $\\ln 2 = 0.6931$.' from formulas such as 'e^{0.5} = 1.6487'."""
    items = [f"${v}$" for v in values]
    if not items:
        return ""
    listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return f"You may use {listed}."
