"""Lecture 15: not just deep learning (the statistical significance of a test result)."""
