"""Loss, gradients and one SGD update in float64: derive's compiled gradient (scalar and vector
backends) against hand-written NumPy, PyTorch autograd and JAX (jit), on the sigmoid networks of
:mod:`bench_symbolic`.

Each contender is one callable that computes everything from its own natural arguments (derive:
``compiled.function`` on the flat argument list or array; the others: their arrays / tensors).
Times are CPU seconds of this process (``time.process_time``) in interleaved rounds, so a busy
machine's other processes distort them less than wall-clock time; tables give ratios of medians.
JAX is optional: without it its column says "not installed".
"""

from __future__ import annotations

import statistics
import time


class NumpyNet:
    """The textbook backward pass by hand (sigmoid layers, one bias per layer, ½ Σ (t − o)²)."""

    def __init__(self, network, np):
        self.np = np
        self.weights = [np.array([[float(w) for w in row] for row in layer.weights]) for layer in network.layers]
        self.biases = [float(layer.bias_values[0]) for layer in network.layers]
        self.train_bias = [layer.train_bias for layer in network.layers]
        example = network.examples[0]
        self.x = np.array([float(v) for v in example.inputs])
        self.t = np.array([float(v) for v in example.targets])
        self.eta = float(network.spec.learning_rate)

    def step(self):
        """(loss, gradients, updated) per layer."""
        np = self.np
        outs = [self.x]
        for w, b in zip(self.weights, self.biases):
            outs.append(1.0 / (1.0 + np.exp(-(w @ outs[-1] + b))))
        error = outs[-1] - self.t
        loss = 0.5 * float(error @ error)
        delta = error * outs[-1] * (1.0 - outs[-1])
        grads = [None] * len(self.weights)
        for layer in range(len(self.weights) - 1, -1, -1):
            grads[layer] = (np.outer(delta, outs[layer]), float(delta.sum()))
            if layer:
                delta = (self.weights[layer].T @ delta) * outs[layer] * (1.0 - outs[layer])
        updated = [(w - self.eta * gw, b - self.eta * gb if train else b)
                   for w, b, (gw, gb), train in zip(self.weights, self.biases, grads, self.train_bias)]
        return loss, grads, updated

    def train(self, steps: int) -> float:
        """``steps`` SGD steps in place (the usual tutorial loop); the final loss."""
        for _ in range(steps):
            _, grads, updated = self.step()
            self.weights = [w for w, _ in updated]
            self.biases = [b for _, b in updated]
        return self.step()[0]

    def flat(self, pairs) -> list[float]:
        out = []
        for w, b in pairs:
            out.extend(w.ravel().tolist())
            out.append(b)
        return out


class TorchNet:
    """The same network as leaf tensors; autograd does the backward pass (CPU, float64)."""

    def __init__(self, numpy_net, torch):
        self.torch = torch
        self.weights = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in numpy_net.weights]
        self.biases = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in numpy_net.biases]
        self.train_bias = numpy_net.train_bias
        self.x = torch.tensor(numpy_net.x, dtype=torch.float64)
        self.t = torch.tensor(numpy_net.t, dtype=torch.float64)
        self.eta = numpy_net.eta

    def step(self):
        torch = self.torch
        for tensor in (*self.weights, *self.biases):
            tensor.grad = None
        out = self.x
        for w, b in zip(self.weights, self.biases):
            out = torch.sigmoid(w @ out + b)
        loss = 0.5 * ((self.t - out) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            updated = [(w - self.eta * w.grad, b - self.eta * b.grad if train else b)
                       for w, b, train in zip(self.weights, self.biases, self.train_bias)]
        return loss.item(), [(w.grad, b.grad) for w, b in zip(self.weights, self.biases)], updated

    def flat(self, pairs) -> list[float]:
        out = []
        for w, b in pairs:
            out.extend(w.detach().reshape(-1).tolist())
            out.append(float(b))
        return out


def jax_or_none():
    """The ``jax`` module with float64 on, or None when it is not installed."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


class JaxNet:
    """The same network as a jitted ``value_and_grad`` plus the update, float64 on the CPU."""

    def __init__(self, numpy_net, jax):
        import jax.numpy as jnp

        self.jax = jax
        self.params = ([jnp.asarray(w) for w in numpy_net.weights], [jnp.asarray(b) for b in numpy_net.biases])
        self.x, self.t = jnp.asarray(numpy_net.x), jnp.asarray(numpy_net.t)
        eta, train = numpy_net.eta, numpy_net.train_bias

        def loss(params, x, t):
            out = x
            for w, b in zip(*params):
                out = jax.nn.sigmoid(w @ out + b)
            return 0.5 * jnp.sum((t - out) ** 2)

        def step(params, x, t):
            value, (gw, gb) = jax.value_and_grad(loss)(params, x, t)
            new = ([w - eta * g for w, g in zip(params[0], gw)],
                   [b - eta * g if tr else b for b, g, tr in zip(params[1], gb, train)])
            return value, (gw, gb), new

        self._step = jax.jit(step)

    def step(self):
        out = self._step(self.params, self.x, self.t)
        self.jax.block_until_ready(out)
        return out

    def flat(self, pairs) -> list[float]:
        weights, biases = pairs
        out = []
        for w, b in zip(weights, biases):
            out.extend(w.reshape(-1).tolist())
            out.append(float(b))
        return out


def check_agree(ours: list[float], nets) -> None:
    """Every contender's loss, gradients and updated parameters agree with derive's to 1e-9."""
    for net in nets:
        loss, grads, updated = net.step()
        if isinstance(net, JaxNet):
            theirs = [float(loss), *net.flat(grads), *net.flat(updated)]
        else:
            theirs = [loss, *net.flat(grads), *net.flat(updated)]
        worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(ours, theirs, strict=True))
        assert worst < 1e-9, (type(net).__name__, worst)


def cpu_per_call(call, budget: float = 0.05) -> float:
    """CPU seconds per call of ``call()``, from a batch that takes about ``budget`` s."""
    call()
    start, n = time.process_time(), 0
    while time.process_time() - start < budget / 4 or n < 3:
        call()
        n += 1
    batch = max(1, n * 4)
    start = time.process_time()
    for _ in range(batch):
        call()
    return (time.process_time() - start) / batch


def rounds(calls: dict, runs: int) -> dict[str, list[float]]:
    """Per-call CPU seconds of each contender, one batch of each per round."""
    times = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            times[name].append(cpu_per_call(call))
    return times


def paired_ratio(times: dict, a: str, b: str) -> float:
    """Median over rounds of time[a] / time[b]."""
    return statistics.median(x / y for x, y in zip(times[a], times[b]))


def torch_train(numpy_net, torch, steps: int) -> float:
    """``steps`` SGD steps with autograd and ``torch.optim.SGD`` (fixed biases stay); the final loss."""
    net = TorchNet(numpy_net, torch)
    trained = net.weights + [b for b, train in zip(net.biases, net.train_bias) if train]
    optimizer = torch.optim.SGD(trained, lr=net.eta)

    def loss():
        out = net.x
        for w, b in zip(net.weights, net.biases):
            out = torch.sigmoid(w @ out + b)
        return 0.5 * ((net.t - out) ** 2).sum()

    return torch_sgd_run(torch, optimizer, loss, steps)


def torch_sgd_run(torch, optimizer, loss, steps: int) -> float:
    """``steps`` of ``optimizer`` on ``loss()``; the final loss."""
    for _ in range(steps):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    with torch.no_grad():
        return loss().item()
