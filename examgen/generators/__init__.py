"""Question generators: a package per lecture, named after its topic (``cnn/``, ``rl/``, ...), with
one module per generator named after its id (``cnn/conv_output.py``).

:mod:`examgen.registry` finds the modules on disk and imports them on first lookup; a module only
has to define a class decorated with :func:`examgen.registry.generator`. Modules whose names start
with ``_`` are helpers, never taken for generator modules: ``_draw`` (drawing numbers), ``_maths``
(the course's formulas), ``_mistakes`` (the catalogue of common mistakes), ``_givens`` (field
types), and a package's own ``_<what>.py`` for what a few of its generators share.

``concepts`` (here, not in a lecture's package) makes the question-bank generators, one per
lecture, from one class: their content is the bank's data, and keeping them out of the lecture
packages lets an exam's choice of computational generators (``registry.by_topic(tid,
concepts=False)``) import neither them nor the bank.
"""
