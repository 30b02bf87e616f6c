"""What a sheet asks for: the ``--ask`` grammar read into :class:`Question` objects."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.network import Network
from ..errors import SpecError, keyword

ASK_GROUPS = ("forward", "outputs", "deltas", "E_total", "E_total_after")
ASK_PREFIXES = ("net", "out", "delta", "grad", "updated")
ASK_GRAMMAR = ("forward, outputs, deltas, E_total, E_total_after, net:NEURON, out:NEURON, "
               "delta:NEURON, grad:PARAM, grad:*, updated:PARAM, updated:*")


@dataclass(frozen=True)
class Question:
    """One quantity a sheet asks for: its answer key and what it is of.

    ``kind`` is net, out, delta, E_total, E_total_after, grad or updated; ``subject`` the
    neuron or parameter (None for the errors); ``example`` the example in a batch, counted from 1 as in the key's ``__1``.

    Of an online or mini-batch spec, ``update`` is the update asked (from 1) and ``quantity`` the
    name within that update's own one-step problem (as ``derive solve`` and ``derive check`` name it,
    an update's examples numbered as in the whole spec: ``__3``, ``__4`` in update 2 of ``batch_size: 2``); the key is ``u<update>_<quantity>``, unique across
    the updates, and ``example`` the example's number in the whole spec.

    >>> Question("grad_w5", "grad", "w5").key
    'grad_w5'
    >>> [q.key for q in for_update((Question("out_h1", "out", "h1"),), 2)]
    ['u2_out_h1']
    """

    key: str
    kind: str
    subject: str | None = None
    example: int | None = None
    update: int | None = None
    quantity: str | None = None

    @property
    def name(self) -> str:
        """The quantity's name in its own one-step problem (the key, outside online updates)."""
        return self.quantity or self.key


def update_key(number: int, quantity: str) -> str:
    """The answer key of ``quantity`` in update ``number``: ``u2_out_h1``.

    >>> update_key(2, "w5_new")
    'u2_w5_new'
    """
    return f"u{number}_{quantity}"


def for_update(questions, number: int) -> tuple:
    """``questions`` of one update's problem (parsed against its network: examples numbered as in the spec),
    keyed for update ``number``."""
    return tuple(Question(update_key(number, q.key), q.kind, q.subject, q.example, number, q.key)
                 for q in questions)


def parse_ask(text: str, network: Network) -> tuple:
    """The questions an ``--ask`` string names, in order, without repeats.

    Items, comma-separated: ``forward`` (net and out of every neuron), ``outputs``,
    ``deltas``, ``E_total``, ``E_total_after`` (the error after the update),
    ``net:NEURON``, ``out:NEURON``, ``delta:NEURON``, ``grad:PARAM``, ``updated:PARAM``;
    ``grad:*`` and ``updated:*`` mean every trained parameter.

    >>> from derive.engine.network import build_network
    >>> from derive.spec import load_spec
    >>> net = build_network(load_spec("2-2-2"))
    >>> [q.key for q in parse_ask("E_total, grad:w5, updated:w5, out:o1", net)]
    ['E_total', 'grad_w5', 'w5_new', 'out_o1']
    >>> parse_ask("grad:w9", net)
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: ask grad:w9 names no parameter; the parameters are w1, w2, w3, w4, b1, w5, w6, w7, w8, b2
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"must name at least one quantity: {ASK_GRAMMAR}; got {text!r}", field=keyword("ask"))
    questions: dict = {}
    n_examples = len(network.examples)  # numbered as in the spec (an update's examples 3, 4: __3, __4)
    examples = [network.example_number(i) for i in range(n_examples)] if n_examples > 1 else [None]
    for item in (part.strip() for part in text.split(",")):
        for q in _ask_item(item, network, examples):
            questions.setdefault(q.key, q)
    return tuple(questions.values())


def _ask_item(item: str, network: Network, examples) -> list:
    neurons = [n for layer in network.layers for n in layer.neurons]
    params = [p.name for p in network.parameters]
    per_example = lambda kind, names: [Question(_ex(f"{kind}_{name}", n, examples), kind, name, n)
                                       for n in examples for name in names]
    if item == "forward":
        return [q for layer in network.layers for kind in ("net", "out") for q in per_example(kind, layer.neurons)]
    if item == "outputs":
        return per_example("out", network.output_layer.neurons)
    if item == "deltas":
        return [q for layer in reversed(network.layers) for q in per_example("delta", layer.neurons)]
    if item in ("E_total", "E_total_after"):
        return [Question(item, item)]
    prefix, colon, name = item.partition(":")
    if not colon or prefix not in ASK_PREFIXES:
        raise SpecError(f"item {item!r} is not known; the items are: {ASK_GRAMMAR}", field=keyword("ask"))
    if prefix in ("net", "out", "delta"):
        if name not in neurons:
            raise SpecError(f"{item} names no neuron; the neurons are {', '.join(neurons)}", field=keyword("ask"))
        return per_example(prefix, [name])
    trained = [p.name for p in network.parameters if p.trainable]
    chosen = trained if name == "*" else [name]
    if name not in params and name != "*":
        raise SpecError(f"{item} names no parameter; the parameters are {', '.join(params)}", field=keyword("ask"))
    return [Question(f"grad_{p}" if prefix == "grad" else f"{p}_new", prefix, p) for p in chosen]


def _ex(base: str, n, examples) -> str:
    return base if n is None else f"{base}__{n}"
