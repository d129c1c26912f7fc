"""Lecture 05: convolutional neural networks (output shapes and parameter counts, convolution and
pooling values, receptive fields, depthwise separable convolutions and classifier heads)."""
