"""Lecture 11: recurrent neural networks (forward pass, GRU, parameter counts, BPTT)."""
