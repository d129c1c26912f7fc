"""Question generators: a package per lecture, named after its topic (``cnn/``, ``rl/``, ...), with
one module per generator named after its id (``cnn/conv_output.py``).

:mod:`examgen.registry` finds the modules on disk and imports them on first lookup; a module only
has to define a class decorated with :func:`examgen.registry.generator`. Modules whose names start
with ``_`` are helpers, never imported by the registry: ``_draw`` (drawing numbers), ``course``
(the course's formulas), ``mistakes`` (the catalogue of common mistakes), and a package's own
``_<what>.py`` for helpers a few of its generators share. ``concepts`` (at the top, not in a
lecture's package) makes the question-bank generators, one per lecture.
"""
