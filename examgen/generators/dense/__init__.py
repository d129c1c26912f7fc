"""Lecture 03: dense neural network classifiers (forward pass, backpropagation, vectorized shapes),
and derivations answered with a formula (``derive``, ``derive_chain``, ``derive_softmax``).

The derivations build a chain-rule gradient piece by piece -- the loss's derivative, the
activation's derivative, their product with the inner derivative -- as formulas the student
types (``(a - y)*x``), and then evaluate *the student's own formula* at given numbers.
The reference formulas are strings in the grammar of :mod:`examgen.kinds.formula`, and a named
mistake is the mistaken formula at the step where it is made. Follow-through: a later formula
is checked against the chain-rule product of the student's own earlier formulas, and the
numbers against the student's own formula.
"""
