"""Lecture 08: generalization (the VC bound, L2 regularisation, dropout, transfer learning)."""
