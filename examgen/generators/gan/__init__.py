"""Lecture 13: generative adversarial networks (minimax and non-saturating losses, optimal D)."""
