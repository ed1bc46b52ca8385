"""Lessons: the math of one chapter each, built on the engine (never the other way round).

perceptron (chapters 2-3), descent (gradient descent on quadratics, chapter 2), graphs (depth of a
DAG, chapters 4 and 6), perturb (learning by perturbing weights, chapter 5), backprop (the slides'
backpropagation algorithm, chapter 6), sgd_tools (full, per-sample and mini-batch gradients and
their error, chapters 7 and 14), vanishing (Jacobian products through a deep network, chapter 8),
batchnorm (the slides' batch-norm formulas and PyTorch's running statistics, chapter 10),
regularization (early stopping by hand, proximal steps for L1, chapter 11), dropout (masks, thinned
networks and their average, chapter 12), clipping_cliff (a loss with a cliff, chapter 13).
"""
