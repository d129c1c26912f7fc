"""Small tables in stems, and step values as lists (classification_metrics, average_precision,
overlap_metrics)."""

import numpy as np


def _table(rows: list[tuple[str, list[str]]]) -> str:
    """A small table as a code block (four-space indent): one label column, then the cells."""
    width = max([len(label) for label, _ in rows])
    cells = max([len(c) for _, cs in rows for c in cs])
    return "\n".join(["    " + label.ljust(width) + "  " + "  ".join([c.rjust(cells) for c in cs])
                      for label, cs in rows])


def _floats(a) -> list[float]:
    """A step's value (an array, maybe a student's) as a list of floats."""
    return a.tolist() if isinstance(a, np.ndarray) else [float(v) for v in a]
