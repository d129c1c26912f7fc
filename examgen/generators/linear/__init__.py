"""Lecture 02: linear models (one gradient-descent step of linear, logistic and softmax regression).

Conventions, printed in every stem:

* ``linreg_step``: the mean squared error averaged over the N examples, either
  ``L = 1/N sum (y_hat - y)^2`` or ``L = 1/(2N) sum (y_hat - y)^2`` (the givens say which).
* ``logreg_step``: the binary cross-entropy averaged over the examples, natural log.
* ``softmax_ce``: the cross-entropy of one example, natural log, classes numbered from 1.

All three take one step of (full-batch) gradient descent ``theta <- theta - lambda dL/dtheta``.
"""
