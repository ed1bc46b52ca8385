"""nnlab: the numpy package behind the course 'Introduction to Neural Networks'.

Math lives in activations, layers, losses, optim, init, regularizers, clipping, train,
params, probes, gradcheck and data; none of them imports matplotlib or ipywidgets. Figures live in plots,
interactive figures in experiment.
"""
from . import activations, clipping, data, gradcheck, init, layers, losses, optim, params, probes, regularizers, train
from .activations import LeakyReLU, Linear, ReLU, Sigmoid, Sign, Step, Tanh, get_activation
from .layers import BatchNorm, Dense, Dropout, Sequential, mlp
from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy, SquaredError, accuracy
from .clipping import ClipByNorm, ClipByValue
from .optim import SGD
from .regularizers import L1, L2, ElasticNet
from .train import EarlyStopping, History, fit

__version__ = "0.1.0"
