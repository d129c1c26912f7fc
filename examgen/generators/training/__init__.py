"""Lecture 07: training and architectures: ADAM, batch normalisation, SGD / momentum / RMSprop /
AdaGrad updates, weight initialisation, activation functions, normalisation axes and
hyperparameter search on a log scale."""
