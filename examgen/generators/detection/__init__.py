"""Lecture 09: segmentation and object detection (evaluation metrics, overlap, average precision,
the detection label vector and its loss, spatial upsampling).

Drawn givens are built with ``model_construct``: each draw is valid by construction, and skipping
pydantic's validation (and the model validators' checks) saves a third of the generation time.
tests/test_hand_detection_visualization.py checks that every drawn question's givens validate and
round-trip unchanged.
"""
