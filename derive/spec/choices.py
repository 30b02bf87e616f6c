"""The words a spec may use for its activations, losses, reductions, layouts, optimizers and log bases.

Constants only: the command line lists them in its help without loading the spec model.
"""

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax")
LOSSES = ("half_sse", "sse", "mse", "cross_entropy", "binary_cross_entropy")
PROBABILITY_ACTIVATIONS = ("sigmoid", "softmax")
REDUCTIONS = ("sum", "mean")
LAYOUTS = ("neuron_major", "input_major")
OPTIMIZERS = ("sgd", "momentum", "adam")
LOG_BASES = ("e", "2", "10")
