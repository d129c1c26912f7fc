"""Lecture 10: visualization and adversarial fooling (saliency maps and guided backprop, class
activation maps, the fast gradient sign method)."""
