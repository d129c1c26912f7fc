"""Lecture 12: unsupervised learning (SNE and t-SNE, autoencoders, the VAE latent loss, sampling and
interpolating in a VAE's latent space)."""
