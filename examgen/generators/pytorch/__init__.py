"""Lecture 04: PyTorch's automatic differentiation -- trace a short snippet, give the ``.grad`` values.

The snippet is part of the givens as a *structured description* (tensors and lines, each line an
expression tree in a few allowed operations), from which the code text is printed. The reference
answers come from running that description with PyTorch, imported only inside the solver, so the
grader (which never re-runs this solver: ``rerun = False``) and ``examgen make`` for other topics
never import torch. The named mistakes are PyTorch runs with one backward rule changed (ReLU's
derivative taken as 1, the mean's 1/n left out, ...), all computed in the same batched run, and
stored with the question.

The description (all names are single lower-case letters for tensors, short names for lines)::

    tensors: [{"name": "a", "value": [1, 2], "requires_grad": true}, {"name": "b", "value": 3}]
    lines:   [{"name": "h", "expr": ["+", ["*", "a", "b"], 1]},     # h = a * b + 1
              {"name": "L", "expr": ["sum", "h"]},                    # L = h.sum()
              {"backward": "L"}]                                      # L.backward()

An expression is a number, a name, or ``[op, args...]`` with op one of ``+ - * **`` (binary;
``**`` only with the exponent 2 or 3), ``relu``, ``sigmoid`` (``torch.relu(u)``,
``torch.sigmoid(u)``), ``sum``, ``mean`` (``u.sum()``, ``u.mean()``, only as the last operation of
a line, whose value may then only be used for ``backward()``). After a ``backward()`` the graph is
freed, so later lines may use only the tensors and the names assigned after it.
"""
