"""Question generators, one module per lecture topic.

Every module here is imported by :func:`examgen.registry.all_generators`; a module only
has to define classes decorated with :func:`examgen.registry.generator`.
"""

TOPIC_OF_MODULE = {"derive": "dense"}
"""Modules not named after the topic they serve (the rest are: ``rl.py`` serves topic ``rl``)."""
