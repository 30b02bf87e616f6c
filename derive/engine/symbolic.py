"""The chain rule, as the tutorials do it: named quantities, each a small formula of earlier ones.

Every neuron gets ``net`` and ``out``; the error is a sum of per-output terms. Going backwards,
each layer's deltas (δ = ∂E_total/∂net) are built once from named factors and reused by the
layer before it, so the cost grows linearly with the number of parameters. The fully nested
error is never differentiated: each :func:`sympy.diff` call sees one small local formula.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.core.basic import _args_sortkey

from ..io.progress import task
from .functions import (activation_derivative, activation_formula, log_factor, loss_term,
                        softmax_formula, softmax_jacobian)
from .model import Chain, Model, Quantity, collector_paused
from .network import Layer, Network, Parameter

def build_model(network: Network) -> Model:
    """Build every quantity of one forward and backward pass and one update.

    >>> from derive.spec import load_spec
    >>> from derive.engine.network import build_network
    >>> model = build_model(build_network(load_spec("2-2-2")))
    >>> model["net_h1"].formula
    b1 + w1*x1 + w2*x2
    >>> model["delta_o1"].formula
    dE_dout_o1*dout_dnet_o1
    >>> model["dE_dout_h1"].formula
    dE_o1_dout_h1 + dE_o2_dout_h1
    >>> model.chains["w5"].update.formula
    -eta*grad_w5 + w5
    """
    with collector_paused():
        return _build(network)


def _build(network: Network) -> Model:
    model = Model(network)
    _givens(model)
    for n in range(model.n_examples):
        _forward(model, n)
    _error(model)
    parameters = network.parameters
    with task("chain rule (parameters)", len(parameters)) as bar:
        for layer in reversed(network.layers):
            for n in range(model.n_examples):
                _backward_layer(model, layer, n)
            layer_parameters = [p for p in parameters if p.layer == layer.index]
            _gradients(model, layer, layer_parameters)
            bar.advance(len(layer_parameters))
    return model


def _sym(name: str) -> sp.Symbol:
    """``sp.Symbol(name, real=True)``, without deducing the same assumptions again for each name.

    SymPy's constructor spends ~20 µs per symbol deducing the facts of ``real=True`` (and its
    cache keeps only the last 1,000 symbols anyway); a 32x6 model names ~25,000 quantities.
    The symbol is built as ``Symbol.__xnew__`` builds it, from a fresh copy of the facts.

    >>> s = _sym("net_h1")
    >>> s == sp.Symbol("net_h1", real=True), s.is_real, s.is_positive, hash(s) == hash(sp.Symbol("net_h1", real=True))
    (True, True, None, True)
    """
    symbol = _new_expr(sp.Symbol)
    symbol.name = name
    facts = _new_facts(_StdFactKB)
    _dict_update(facts, _REAL_FACTS)
    facts.rules = _REAL_FACTS.rules
    facts._generator = dict(_REAL_FACTS._generator)
    symbol._assumptions = facts
    symbol._assumptions_orig = {"real": True}
    symbol._assumptions0 = _REAL_FACTS0
    return symbol


_REAL_FACTS, _, _real_facts0 = sp.Symbol._canonical_assumptions(real=True)
_REAL_FACTS0 = tuple(sorted(_real_facts0.items()))
_StdFactKB = type(_REAL_FACTS)
_new_expr, _new_facts, _dict_update = sp.Expr.__new__, dict.__new__, dict.update


# SymPy's evaluated Mul/Add spend ~40 µs each flattening, asking assumptions and sorting with
# Basic.compare; a model of a 32x6 network builds ~40,000 of them. The products and sums the
# chain rule needs are of distinct symbols, whose canonical form is simply the arguments in
# SymPy's sort order, so they are built in that form directly: the very expression
# ``sp.Mul(*factors)`` / ``sp.Add(*terms)`` would return (tests/test_symbolic_canonical.py).

def _product(*factors: sp.Expr) -> sp.Expr:
    """``sp.Mul(*factors)``, fast when the factors are distinct symbols after an optional −1.

    >>> a, b = sp.symbols("w5 delta_o1")
    >>> _product(a, b) == sp.Mul(a, b) and _product(a, b).args == sp.Mul(a, b).args
    True
    """
    if len(factors) == 2:  # most products: δ·w, δ·out, ∂E/∂out·∂out/∂net
        a, b = factors
        if type(a) is _Symbol is type(b) and a._assumptions0 is b._assumptions0 and a.name != b.name:
            return _mul_from_args((a, b) if a.name < b.name else (b, a), True)
    sign = factors[:1] if factors and factors[0] is sp.S.NegativeOne else ()
    symbols = factors[len(sign):]
    if len(symbols) < 2 or not _plain_symbols(symbols) or len({s.name for s in symbols}) != len(symbols):
        return sp.Mul(*factors)
    return sp.Mul._from_args(sign + tuple(sorted(symbols, key=_symbol_name)), True)


def _sum(terms) -> sp.Expr:
    """``sp.Add(*terms)``, fast when the terms are distinct symbols or products built by :func:`_product`.

    >>> a, b, c = sp.symbols("x1 w1 b1")
    >>> _sum([_product(a, b), c]).args == sp.Add(a * b, c).args
    True
    """
    terms = list(terms)
    if len(terms) == 2 and type(terms[0]) is _Symbol and _is_signed_product(terms[1]):  # p − η·grad_p
        return _add_from_args((terms[0], terms[1]) if _SYMBOL_RANK < _MUL_RANK else (terms[1], terms[0]), True)
    bases = [_term_base(t) for t in terms]
    if len(terms) < 2 or None in bases or len(set(bases)) != len(bases):
        return sp.Add(*terms)
    atoms = [f for t in terms for f in (t.args if t.is_Mul else (t,))]
    key = _term_order if _plain_symbols(atoms) else _args_sortkey
    return sp.Add._from_args(tuple(sorted(terms, key=key)), True)


_Symbol, _mul_from_args, _add_from_args = sp.Symbol, sp.Mul._from_args, sp.Add._from_args


def _is_signed_product(term: sp.Expr) -> bool:
    """A product of two or more symbols after an optional −1: never a like term of a lone symbol."""
    if not term.is_Mul:
        return False
    factors = term.args[1:] if term.args[0] is sp.S.NegativeOne else term.args
    return len(factors) >= 2 and all(type(f) is _Symbol for f in factors)


def _symbol_name(symbol: sp.Symbol) -> str:
    return symbol.name


def _plain_symbols(items) -> bool:
    """Symbols with one set of assumptions: Basic.compare orders them by name alone."""
    first = items[0]
    return all(type(s) is sp.Symbol and s._assumptions0 == first._assumptions0 for s in items)


# Basic.compare puts a Symbol before a Mul; Muls by their number of factors, then factor by factor.
_SYMBOL_RANK, _MUL_RANK = (0, 1) if sp.Symbol("a").compare(sp.Symbol("b") * sp.Symbol("c")) < 0 else (1, 0)


def _term_order(term: sp.Expr):
    """Basic.compare's order for plain symbols and products of plain symbols, as a cheap key."""
    if term.is_Symbol:
        return (_SYMBOL_RANK, 0, (term.name,))
    return (_MUL_RANK, len(term.args), tuple(f.name for f in term.args))


def _term_base(term: sp.Expr):
    """The part of a term that Add would collect like terms by, or None when not a simple term."""
    if term.is_Symbol:
        return term
    if term.is_Mul and all(f.is_Symbol for f in term.args[term.args[0] is sp.S.NegativeOne:]):
        return sp.Mul._from_args(term.args[1:], True) if term.args[0] is sp.S.NegativeOne else term
    return None


def _givens(model: Model) -> None:
    network = model.network
    for n, example in enumerate(network.examples):
        for name in network.input_names:
            model.add(Quantity(_sym(model.ex(name, n)), "input", name=name, example=n))
        for name, neuron in zip(network.target_names, network.output_layer.neurons):
            model.add(Quantity(_sym(model.ex(name, n)), "target", name=name, example=n, neuron=neuron))
    for param in network.parameters:
        model.add(Quantity(_sym(param.name), "param", name=param.name, layer=param.layer, param=param.name))
    model.learning_rate = _sym("eta")
    model.add(Quantity(model.learning_rate, "hyper", name="eta"))


def _forward(model: Model, n: int) -> None:
    ex = lambda base: model.symbol(model.ex(base, n))
    for layer in model.network.layers:
        sources = [ex(src if layer.index == 1 else f"out_{src}") for src in layer.inputs]
        nets = []
        for j, neuron in enumerate(layer.neurons):
            terms = [_product(model.symbol(w), src) for w, src in zip(layer.weight_names[j], sources)]
            if layer.bias_names:
                bias = model.symbol(layer.bias_names[j])
                terms.append(bias if _bias_sign(model) > 0 else _product(sp.S.NegativeOne, bias))
            formula = _sum(terms)
            net = model.add(Quantity(_sym(model.ex(f"net_{neuron}", n)), "net", formula, name=f"net_{neuron}",
                                     layer=layer.index, neuron=neuron, example=n))
            nets.append(net.symbol)
        for j, neuron in enumerate(layer.neurons):
            if layer.activation == "softmax":
                formula = softmax_formula(nets, j)
            else:
                formula = activation_formula(layer.activation, nets[j], sp.Rational(layer.negative_slope),
                                             layer.gain, layer.scale)
            model.add(Quantity(_sym(model.ex(f"out_{neuron}", n)), "out", formula, name=f"out_{neuron}",
                               layer=layer.index, neuron=neuron, example=n))


def _error(model: Model) -> None:
    network = model.network
    spec = network.spec
    output = network.output_layer
    totals = []
    for n in range(model.n_examples):
        terms = []
        for neuron, target in zip(output.neurons, network.target_names):
            out = model.symbol(model.ex(f"out_{neuron}", n))
            t = model.symbol(model.ex(target, n))
            term = loss_term(spec.loss, out, t, output.units, spec.log_base)
            q = model.add(Quantity(_sym(model.ex(f"E_{neuron}", n)), "error_term", term, name=f"E_{neuron}",
                                   neuron=neuron, example=n, layer=output.index))
            terms.append(q.symbol)
        if model.n_examples > 1:
            q = model.add(Quantity(_sym(model.ex("E", n)), "error_example", sp.Add(*terms), name="E",
                                   example=n, terms=tuple(terms)))
            totals.append(q.symbol)
        else:
            totals = terms
    total = sp.Add(*totals)
    if model.n_examples > 1 and spec.reduction == "mean":
        total = total / model.n_examples
    model.add(Quantity(_sym("E_total"), "error_total", total, name="E_total", terms=tuple(totals)))


def _scale(model: Model) -> sp.Expr:
    """∂E_total/∂E^(n): 1, or 1/N for the mean over a batch."""
    if model.n_examples > 1 and model.network.spec.reduction == "mean":
        return sp.Rational(1, model.n_examples)
    return sp.S.One


def _backward_layer(model: Model, layer: Layer, n: int) -> None:
    """∂E/∂out, ∂out/∂net and δ = ∂E/∂net for every neuron of ``layer`` in example ``n``."""
    key = lambda base: model.ex(base, n)
    sym = lambda base: model.symbol(key(base))
    if layer.is_output:
        _output_error_derivatives(model, layer, n)
    else:
        _hidden_error_derivatives(model, layer, n)
    outs = [sym(f"out_{neuron}") for neuron in layer.neurons]
    nets = [sym(f"net_{neuron}") for neuron in layer.neurons]
    if layer.activation == "softmax":
        _softmax_deltas(model, layer, n, outs, nets)
        return
    for j, neuron in enumerate(layer.neurons):
        raw, formula = _activation_derivative(layer.activation, nets[j], outs[j], layer.negative_slope,
                                              layer.gain, layer.scale)
        d_out = model.add(Quantity(_sym(key(f"dout_dnet_{neuron}")), "dout_dnet", formula,
                                   name=f"dout_dnet_{neuron}", layer=layer.index, neuron=neuron, example=n,
                                   num=f"out_{neuron}", den=f"net_{neuron}", of=model[key(f"out_{neuron}")].formula,
                                   raw=raw))
        d_e = model[key(f"dE_dout_{neuron}")]
        delta = Quantity(_sym(key(f"delta_{neuron}")), "delta", _signed(model, d_e.symbol, d_out.symbol),
                         name=f"delta_{neuron}", layer=layer.index, neuron=neuron, example=n,
                         num="E_total", den=f"net_{neuron}", factors=(d_e.symbol, d_out.symbol))
        delta.simplified = _simplified_delta(model, layer, n, j)
        model.add(delta)


def _signed(model: Model, *factors: sp.Expr) -> sp.Expr:
    """The product of ``factors``, negated under the ``error_term: negative`` convention.

    δ = −∂E/∂net there, so the δ of a neuron and every derivative written with δ change sign.
    """
    if model.network.spec.conventions.delta_sign < 0:
        return _product(sp.S.NegativeOne, *factors)
    return _product(*factors)


_NET, _OUT = sp.Symbol("net", real=True), sp.Symbol("out", real=True)


@lru_cache(maxsize=None)
def _derivative_template(activation: str, slope, gain=1, scale=1) -> tuple[sp.Expr, sp.Expr]:
    return activation_derivative(activation, _NET, _OUT, sp.Rational(slope), gain, scale)


def _activation_derivative(activation: str, net: sp.Symbol, out: sp.Symbol, slope, gain=1,
                           scale=1) -> tuple[sp.Expr, sp.Expr]:
    """:func:`activation_derivative` for one neuron: differentiated once per activation, then renamed.

    ``sympy.diff`` of σ(net) asks assumption queries that cost ~20 ms per neuron.
    """
    raw, formula = _derivative_template(activation, slope, gain, scale)
    names = {_NET: net, _OUT: out}
    return raw.xreplace(names), formula.xreplace(names)


_TARGET = sp.Symbol("target", real=True)


@lru_cache(maxsize=None)
def _loss_derivative_template(loss: str, n_outputs: int, base: str) -> sp.Expr:
    return sp.diff(loss_term(loss, _OUT, _TARGET, n_outputs, base), _OUT)


def _loss_derivative(loss: str, out: sp.Symbol, target: sp.Symbol, n_outputs: int, base: str) -> sp.Expr:
    """``sympy.diff`` of one output's error term by its output: differentiated once per loss, then renamed.

    Each term holds its own output alone, and ``sympy.diff`` asks assumption queries that cost
    ~10 ms per output.

    >>> o, t = sp.Symbol("out_o1", real=True), sp.Symbol("t_o1", real=True)
    >>> _loss_derivative("half_sse", o, t, 2, "e") == sp.diff(loss_term("half_sse", o, t, 2), o)
    True
    """
    return _loss_derivative_template(loss, n_outputs, base).xreplace({_OUT: out, _TARGET: target})


def _output_error_derivatives(model: Model, layer: Layer, n: int) -> None:
    """∂E_total/∂out_o by differentiating the one error term that holds out_o."""
    scale = _scale(model)
    terms = [model[model.ex(f"E_{neuron}", n)] for neuron in layer.neurons]
    whole = sp.Add(*[term.formula for term in terms])  # E of this example, in the outputs: shown differentiated
    spec = model.network.spec
    for neuron, target, term in zip(layer.neurons, model.network.target_names, terms):
        out = model.symbol(model.ex(f"out_{neuron}", n))
        raw = _loss_derivative(spec.loss, out, model.symbol(model.ex(target, n)), layer.units, spec.log_base)
        model.add(Quantity(_sym(model.ex(f"dE_dout_{neuron}", n)), "dE_dout", scale * raw,
                           name=f"dE_dout_{neuron}", layer=layer.index, neuron=neuron, example=n,
                           num="E_total", den=f"out_{neuron}", of=whole, raw=raw))


def _hidden_error_derivatives(model: Model, layer: Layer, n: int) -> None:
    """∂E_total/∂out_h = Σ_o ∂E/∂net_o · ∂net_o/∂out_h, one named term per path."""
    above = model.network.layers[layer.index]  # layers are 1-based, so this is the next layer
    updated = model.network.spec.conventions.backprop_through_updated_weights
    for k, neuron in enumerate(layer.neurons):
        paths = []
        for j, target in enumerate(above.neurons):
            weight = above.weight_names[j][k]
            w = model.symbol(f"{weight}_new" if updated else weight)
            delta = model.symbol(model.ex(f"delta_{target}", n))
            q = model.add(Quantity(_sym(model.ex(f"dE_{target}_dout_{neuron}", n)), "path", _signed(model, delta, w),
                                   name=f"dE_{target}_dout_{neuron}", layer=layer.index, neuron=neuron, example=n,
                                   num=f"E_{target}", den=f"out_{neuron}", factors=(delta, w), param=weight))
            paths.append(q.symbol)
        model.add(Quantity(_sym(model.ex(f"dE_dout_{neuron}", n)), "dE_dout", _sum(paths),
                           name=f"dE_dout_{neuron}", layer=layer.index, neuron=neuron, example=n,
                           num="E_total", den=f"out_{neuron}", terms=tuple(paths)))


def _softmax_deltas(model: Model, layer: Layer, n: int, outs, nets) -> None:
    """δ_j = Σ_i ∂E/∂out_i · ∂out_i/∂net_j with the softmax Jacobian."""
    key = lambda base: model.ex(base, n)
    neurons = layer.neurons
    for j, neuron in enumerate(neurons):
        for i, other in enumerate(neurons):
            formula = softmax_jacobian(outs, i, j)
            raw = sp.diff(model[key(f"out_{other}")].formula, nets[j])
            model.add(Quantity(_sym(key(f"dout_{other}_dnet_{neuron}")), "dout_dnet", formula,
                               name=f"dout_{other}_dnet_{neuron}", layer=layer.index, neuron=other, example=n,
                               num=f"out_{other}", den=f"net_{neuron}", of=model[key(f"out_{other}")].formula,
                               raw=raw))
    for j, neuron in enumerate(neurons):
        products = [model.symbol(key(f"dE_dout_{other}")) * model.symbol(key(f"dout_{other}_dnet_{neuron}"))
                    for other in neurons]
        delta = Quantity(_sym(key(f"delta_{neuron}")), "delta",
                         model.network.spec.conventions.delta_sign * sp.Add(*products), name=f"delta_{neuron}",
                         layer=layer.index, neuron=neuron, example=n, num="E_total", den=f"net_{neuron}",
                         terms=tuple(products))
        delta.simplified = _simplified_delta(model, layer, n, j)
        model.add(delta)


def _simplified_delta(model: Model, layer: Layer, n: int, j: int):
    """δ without ∂E/∂out where it cancels: softmax + cross-entropy, sigmoid + binary cross-entropy.

    δ_j = out_j Σ_i t_i − t_j (softmax, which is out − t when the targets sum to 1) and
    δ_j = out_j − t_j (sigmoid with binary cross-entropy), times 1/ln(base) and the batch scale.
    """
    if not layer.is_output:
        return None
    spec = model.network.spec
    outs = [model.symbol(model.ex(f"out_{neuron}", n)) for neuron in layer.neurons]
    targets = [model.symbol(model.ex(t, n)) for t in model.network.target_names]
    scale = _scale(model) * log_factor(spec.log_base) * spec.conventions.delta_sign
    if layer.activation == "softmax" and spec.loss == "cross_entropy":
        return scale * (outs[j] * sp.Add(*targets) - targets[j])
    if layer.activation == "sigmoid" and spec.loss == "binary_cross_entropy":  # λ·(out − t) for σ(λ·net)
        return scale * sp.Rational(layer.gain) * (outs[j] - targets[j])
    return None


def _gradients(model: Model, layer: Layer, parameters: list[Parameter]) -> None:
    """∂E_total/∂p = δ · ∂net/∂p for every parameter of ``layer``, summed over the examples; then p⁺."""
    for param in parameters:
        per_example = []
        for n in range(model.n_examples):
            per_example.append(_example_gradient(model, layer, param, n))
        if model.n_examples == 1:
            grad = per_example[0]
        else:
            grad = model.add(Quantity(_sym(f"grad_{param.name}"), "grad",
                                      _sum(q.symbol for q in per_example), name=f"grad_{param.name}",
                                      layer=layer.index, param=param.name, num="E_total", den=param.name,
                                      terms=tuple(q.symbol for q in per_example)))
        p = model.symbol(param.name)
        formula = _sum([p, _product(sp.S.NegativeOne, model.learning_rate, grad.symbol)]) if param.trainable else p
        update = model.add(Quantity(_sym(f"{param.name}_new"), "updated", formula, name=f"{param.name}_new",
                                    layer=layer.index, param=param.name, factors=(p, grad.symbol)))
        model.chains[param.name] = Chain(param, grad, per_example, update)


def _example_gradient(model: Model, layer: Layer, param: Parameter, n: int) -> Quantity:
    key = lambda base: model.ex(base, n)
    name = key(f"grad_{param.name}")
    p = model.symbol(param.name)
    if param.kind == "weight":
        neurons = [layer.neurons[param.j]]
    elif param.j is not None:
        neurons = [layer.neurons[param.j]]
    else:
        neurons = list(layer.neurons)  # a shared bias feeds every neuron of its layer
    products = []
    for neuron in neurons:
        net = model[key(f"net_{neuron}")]
        dnet = model.add(Quantity(_sym(key(f"dnet_{neuron}_d{param.name}")), "dnet_dparam",
                                  _dnet_dparam(model, layer, param, n), name=f"dnet_{neuron}_d{param.name}",
                                  layer=layer.index, neuron=neuron, example=n, param=param.name,
                                  num=f"net_{neuron}", den=param.name, of=net.formula))
        products.append((model.symbol(key(f"delta_{neuron}")), dnet.symbol))
    if len(products) == 1:
        delta, dnet = products[0]
        return model.add(Quantity(_sym(name), "grad", _signed(model, delta, dnet), name=f"grad_{param.name}",
                                  layer=layer.index, param=param.name, example=n, num="E_total", den=param.name,
                                  factors=(delta, dnet)))
    terms = tuple(_signed(model, d, x) for d, x in products)
    return model.add(Quantity(_sym(name), "grad", _sum(terms),
                              name=f"grad_{param.name}", layer=layer.index, param=param.name, example=n,
                              num="E_total", den=param.name, terms=terms))


def _dnet_dparam(model: Model, layer: Layer, param: Parameter, n: int) -> sp.Expr:
    """∂net/∂p, read off net = Σ w·in + b: the input a weight multiplies, or 1 for a bias.

    This is what ``sympy.diff(net, p)`` returns (each name appears once in a net), without
    differentiating a sum of fan-in terms once per weight, which dominated large networks.
    """
    if param.kind == "bias":
        return sp.Integer(_bias_sign(model))
    source = layer.inputs[param.k]
    return model.symbol(model.ex(source if layer.index == 1 else f"out_{source}", n))


def _bias_sign(model: Model) -> int:
    """∂net/∂b: 1, or −1 for a threshold θ on an input fixed at −1 (``bias_as: threshold``)."""
    return model.network.spec.conventions.bias_sign


def chain_factors(model: Model, param: str, n: int = 0) -> list[Quantity]:
    """The named factors of ∂E_total/∂param in example ``n``, outermost first (scalar style).

    >>> from derive.spec import load_spec
    >>> from derive.engine.network import build_network
    >>> model = build_model(build_network(load_spec("2-2-2")))
    >>> [q.key for q in chain_factors(model, "w5")]
    ['dE_dout_o1', 'dout_dnet_o1', 'dnet_o1_dw5']
    """
    grad = model.chains[param].per_example[n]
    factors = []
    for factor in grad.factors or ():
        q = model[factor.name]
        if q.kind == "delta" and q.factors:
            factors.extend(model[f.name] for f in q.factors)
        else:
            factors.append(q)
    return factors


def expand(model: Model, key: str, _cache: dict | None = None) -> sp.Expr:
    """A quantity written out in the givens (inputs, targets, parameters, η) alone.

    Only for small networks: the expression grows quickly with depth.

    >>> from derive.spec import load_spec
    >>> from derive.engine.network import build_network
    >>> model = build_model(build_network(load_spec("2-2-1")))
    >>> sp.factor(expand(model, "grad_w5"))
    (w1*x1 + w2*x2)*(-t_o1 + w1*w5*x1 + w2*w5*x2 + w3*w6*x1 + w4*w6*x2)
    """
    cache = {} if _cache is None else _cache
    for quantity in model.quantities:
        if quantity.formula is None:
            cache[quantity.symbol] = quantity.symbol
            continue
        cache[quantity.symbol] = quantity.formula.xreplace(cache)
        if quantity.key == key:
            return cache[quantity.symbol]
    if key in model.by_key:
        return model[key].symbol
    raise KeyError(key)
