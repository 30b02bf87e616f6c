"""An independent PyTorch (float64) version of a derive network, for reference checks.

It reads only the validated spec's numbers and the naming scheme (neuron-major weights, shared
or per-neuron biases, which biases are trained) and builds the forward pass and loss with
torch operations; autograd and torch.optim do the rest.
"""

from __future__ import annotations

import pytest

import derive

try:
    import torch
except ImportError:  # the comparisons are marked needs_torch and skip themselves, saying why
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (setup.sh installs its CPU "
                                                       "build where it can be had): the comparison with PyTorch "
                                                       "is skipped")

ACTIVATIONS = {} if torch is None else {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda x: x,
    "softmax": lambda x: torch.softmax(x, dim=-1),
}


class TorchNet:
    """Parameters (one leaf tensor per weight matrix / bias) and the loss of the whole batch."""

    def __init__(self, source):
        problem = source if isinstance(source, derive.Problem) else derive.load(source)
        self.spec = problem.spec
        self.network = problem.network
        self.layers = []
        self.trained = []
        for layer in self.network.layers:
            weights = torch.tensor([[float(w) for w in row] for row in layer.weights],
                                   dtype=torch.float64, requires_grad=True)
            self.trained.append(weights)
            bias = None
            if layer.bias_mode == "shared":
                bias = torch.tensor(float(layer.bias_values[0]), dtype=torch.float64, requires_grad=layer.train_bias)
            elif layer.bias_mode == "per_neuron":
                bias = torch.tensor([float(b) for b in layer.bias_values], dtype=torch.float64,
                                    requires_grad=layer.train_bias)
            if bias is not None and layer.train_bias:
                self.trained.append(bias)
            self.layers.append((layer, weights, bias))
        self.inputs = torch.tensor([[float(x) for x in ex.inputs] for ex in self.spec.examples], dtype=torch.float64)
        self.targets = torch.tensor([[float(t) for t in ex.targets] for ex in self.spec.examples],
                                    dtype=torch.float64)

    def outputs(self) -> torch.Tensor:
        return self.forward()[-1][2]

    def forward(self) -> list[tuple]:
        """(layer, net, out) per layer, one row per example."""
        a = self.inputs
        result = []
        for layer, weights, bias in self.layers:
            z = a @ weights.T
            if bias is not None:  # a threshold θ sits on an input fixed at −1
                z = z - bias if self.spec.conventions.bias_as == "threshold" else z + bias
            a = float(layer.scale) * ACTIVATIONS[layer.activation](float(layer.gain) * z)  # scale · f(gain · net)
            result.append((layer, z, a))
        return result

    def gradients(self) -> dict[str, float]:
        """∂loss/∂parameter by derive's names (fixed biases included, from a separate pass)."""
        for tensor in self._all_tensors():
            tensor.requires_grad_(True)
            tensor.grad = None
        self.loss().backward()
        grads = self._by_name(lambda t: t.grad)
        for layer, _, bias in self.layers:
            if bias is not None and not layer.train_bias:
                bias.requires_grad_(False)
        return grads

    def _all_tensors(self):
        for _, weights, bias in self.layers:
            yield weights
            if bias is not None:
                yield bias

    def _by_name(self, pick) -> dict[str, float]:
        values = {}
        for layer, weights, bias in self.layers:
            w = pick(weights)
            for j, row in enumerate(layer.weight_names):
                for k, name in enumerate(row):
                    values[name] = w[j, k].item()
            if layer.bias_mode == "shared":
                values[layer.bias_names[0]] = pick(bias).item()
            elif layer.bias_mode == "per_neuron":
                b = pick(bias)
                for j, name in enumerate(layer.bias_names):
                    values[name] = b[j].item()
        return values

    def loss(self) -> torch.Tensor:
        out, t = self.outputs(), self.targets
        kind = self.spec.loss
        if kind == "half_sse":
            per_example = 0.5 * ((t - out) ** 2).sum(dim=1)
        elif kind == "sse":
            per_example = ((t - out) ** 2).sum(dim=1)
        elif kind == "mse":
            per_example = ((t - out) ** 2).mean(dim=1)
        elif kind == "cross_entropy":
            per_example = -(t * torch.log(out)).sum(dim=1)
        else:
            per_example = -(t * torch.log(out) + (1 - t) * torch.log(1 - out)).sum(dim=1)
        if self.spec.log_base != "e":
            per_example = per_example / torch.log(torch.tensor(float(self.spec.log_base), dtype=torch.float64))
        return per_example.mean() if self.spec.reduction == "mean" and len(self.spec.examples) > 1 \
            else per_example.sum()

    def parameters(self) -> dict[str, float]:
        """Current values by derive's parameter names."""
        return self._by_name(lambda t: t.detach())

    def train(self, optimizer: torch.optim.Optimizer, steps: int) -> list[float]:
        """Run ``steps`` steps; returns the loss after 0..steps steps (derive's loss_history)."""
        history = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = self.loss()
            history.append(loss.item())
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            history.append(self.loss().item())
        return history
