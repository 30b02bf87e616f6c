"""What every style shares: numbering, substitution, the statement, forward pass, error, summary."""

from __future__ import annotations

import contextlib

import sympy as sp

from ..engine.functions import activation_derivative, activation_formula, sigmoid
from ..spec.model import BIAS_COLUMNS
from . import model as S
from .model import Constant, Edge, LayerInfo, Node, Section, Statement, Step, Summary, SummaryRow, Table, Value

_SQUARED_LOSSES = ("half_sse", "sse", "mse")


class Builder:
    """Emits numbered steps into the current list; remembers where each quantity was found.

    Internal to :func:`derive.steps.derive_steps`; the styles subclass it.

    >>> import derive
    >>> from derive.steps.scalar import ScalarBuilder
    >>> builder = ScalarBuilder(derive.load("2-2-2"), style="scalar", only=None, carry_rounding=None, collapse=False)
    >>> section = builder.forward_section(None)
    >>> builder.numbers["out_h1"], builder.val("out_h1").key
    (3, 'out_h1')
    """

    def __init__(self, problem, *, style: str, only, carry_rounding, collapse: bool):
        self.problem = problem
        self.model = problem.model
        self.network = problem.network
        self.style = style
        self.only = only
        if carry_rounding is None:
            carry_rounding = problem.spec.conventions.carry_rounding
        self.carry_rounding = carry_rounding
        self.values = problem.values(carry_rounding=carry_rounding)
        self.collapse = collapse
        self.numbers: dict[str, int] = {}  # quantity key -> equation (or table) holding its value
        self.counter = 0
        self._sink: list = []
        self.n_examples = self.model.n_examples

    # -- emitting
    @contextlib.contextmanager
    def into(self, items: list):
        saved, self._sink = self._sink, items
        try:
            yield items
        finally:
            self._sink = saved

    def emit(self, step: Step, *, record: bool = True) -> Step:
        self.counter += 1
        step = _replace(step, number=self.counter)
        self._sink.append(step)
        if record and step.value is not None:
            self.numbers[step.key] = self.counter
        return step

    def emit_table(self, rule: str, rows: list[Step]) -> Table | None:
        if not rows:
            return None
        self.counter += 1
        table = Table(rule, tuple(rows), self.counter)
        self._sink.append(table)
        for row in rows:
            if row.value is not None:
                self.numbers.setdefault(row.key, self.counter)
        return table

    def uses(self, *keys) -> tuple[int, ...]:
        """The equation numbers of these quantities, where they have one: ascending, no repeats."""
        return tuple(sorted({self.numbers[key] for key in keys if key in self.numbers}))

    # -- symbols and numbers
    def sym(self, key: str) -> sp.Symbol:
        return self.model.symbol(key)

    def val(self, key: str) -> Value:
        return Value(self.values[key], key)

    def ex(self, base: str, n: int | None) -> str:
        return self.model.ex(base, n)

    def put(self, expr):
        """``expr`` with every quantity replaced by its Value, nothing evaluated."""
        return substitute(expr, lambda s: self.val(s.name) if s.name in self.values else None)

    def quantity_step(self, key: str, rule: str, forms, *, uses=None, example=None, lhs=None,
                      condition=None) -> Step:
        """A step for a model quantity: its forms, the last one with numbers put in, its value.

        ``uses`` defaults to the equations of the quantities in the last form.
        """
        forms = _dedupe(forms)
        last = forms[-1] if forms else None
        substituted = ()
        if last is not None and not isinstance(last, (sp.Symbol, Constant)) and not last.is_Number:
            substituted = (self.put(last),)  # a lone symbol or constant needs no numbers put in
        if uses is None:
            uses = self.uses(*(s.name for s in last.free_symbols)) if last is not None else ()
        if example is None:
            example = self.model[key].example if key in self.model.by_key and self.n_examples > 1 else None
        return Step(key=key, rule=rule, lhs=lhs if lhs is not None else self.sym(key), forms=tuple(forms),
                    substituted=substituted, value=self.val(key), uses=tuple(uses), example=example,
                    condition=condition)

    # -- derivations every style shows the same way
    def _chosen(self, layer):
        params = [p for p in self.network.parameters if p.layer == layer.index]
        if self.only is not None:
            return [p for p in params if p.name in self.only]
        return [p for p in params if p.trainable]

    def _example(self, n):
        return n if self.n_examples > 1 else None

    def _loss_derivative(self, q):
        n = q.example
        out = self.sym(self.ex(q.den, n))
        scale = _scale(self)
        derivative = sp.Derivative(q.of, out, evaluate=False)
        shown = power_rule_form(q.of, out, q.raw)
        forms = [derivative, shown, q.raw]
        if scale != 1:
            forms = [sp.Mul(scale, f, evaluate=False) if f is not None else None for f in forms]
        forms.append(q.formula)
        loss = self.problem.spec.loss
        rule = S.POWER_RULE if loss in _SQUARED_LOSSES else (S.LOG_RULE if loss == "cross_entropy"
                                                              else S.LOSS_DERIVATIVE)
        self.emit(self.quantity_step(q.key, rule, forms))

    def _activation_derivative(self, q):
        n = q.example
        net = self.sym(self.ex(q.den, n))
        layer = self.network.layers[q.layer - 1]
        activation = layer.activation if layer.gain == 1 else "scaled"  # λ·σ(1 − σ) is not the rule's σ(1 − σ)
        rule = {"sigmoid": S.SIGMOID_DERIVATIVE, "softmax": S.QUOTIENT_RULE}.get(activation, S.ACTIVATION_DERIVATIVE)
        of, raw, formula = self.scaled_forms(layer, net, self.sym(self.ex(q.num, n))) or (
            self.as_written(layer, q.of), self.as_written(layer, q.raw), self.as_written(layer, q.formula))
        forms = [sp.Derivative(of, net, evaluate=False), raw, formula]
        self.emit(self.quantity_step(q.key, rule, forms))

    def as_written(self, layer, expr):
        """``expr`` with a leaky ReLU's slope as the :class:`Constant` the user wrote (0.01, not 1/100)."""
        slope = layer.negative_slope
        if layer.activation != "leaky_relu" or expr is None or slope in (0, 1):
            return expr
        text = decimal_text(slope)
        return expr if text is None else _put_constant(expr, sp.Rational(slope), Constant(slope, text))

    def display(self, q):
        """A quantity's formula as shown: an activation's derivative in the spec's own constants."""
        if q.kind == "dout_dnet":
            layer = self.network.layers[q.layer - 1]
            forms = self.scaled_forms(layer, self.sym(self.ex(q.den, q.example)), self.sym(self.ex(q.num, q.example)))
            return forms[2] if forms else self.as_written(layer, q.formula)
        return q.formula

    def _scaled_formula(self, layer):
        """out = scale · f(gain · net) for the problem's table, its constants as written, or None."""
        forms = self.scaled_forms(layer, sp.Symbol("net", real=True), sp.Symbol("out", real=True))
        return forms[0] if forms else None

    def _gain_times_error(self, layer, q):
        """λ(out − t) (λ(t − out) under δ = −∂E/∂net) with the spec's λ, or None where δ has another factor."""
        neuron = layer.neurons[layer.neurons.index(q.neuron)]
        out = self.sym(self.ex(f"out_{neuron}", q.example))
        target = self.sym(self.ex(self.network.target_names[layer.neurons.index(neuron)], q.example))
        gain, _ = self.constants(layer)
        for a, b in ((out, target), (target, out)):
            form = sp.Mul(gain, sp.Add(a, sp.Mul(sp.S.NegativeOne, b, evaluate=False), evaluate=False), evaluate=False)
            if sp.expand(evaluated(form) - q.simplified) == 0:
                return form
        return None

    def constants(self, layer) -> tuple:
        """(gain, scale) of a scaled activation as :class:`Constant` atoms, each as the spec wrote it."""
        written = self.problem.spec.layers[layer.index - 1]
        return Constant(layer.gain, written.gain_text), Constant(layer.scale, written.scale_text)

    def scaled_forms(self, layer, net, out):
        """(f(net), f′(net), f′ in out) of a scaled activation in the spec's own constants, or None.

        σ(λ·net): λ·σ(1 − σ), λ·out(1 − out); a·tanh(b·net): a·b·(1 − tanh²), (b/a)(a² − out²); k·net: k.
        SymPy would fold the constants into one derived fraction (17159/15000); these keep 1.7159 and 2/3
        apart, and each is checked against the engine's own formula (never a step that does not hold).
        """
        if layer.activation not in ("sigmoid", "tanh", "linear") or (layer.gain == 1 and layer.scale == 1):
            return None
        gain, scale = self.constants(layer)
        b = (lambda *f: sp.Mul(gain, *f, evaluate=False)) if layer.gain != 1 else (lambda *f: sp.Mul(*f, evaluate=False)
                                                                                   if len(f) > 1 else f[0])
        inner = b(net)
        one_minus = lambda e: sp.Add(sp.S.One, sp.Mul(sp.S.NegativeOne, e, evaluate=False), evaluate=False)  # noqa: E731
        if layer.activation == "sigmoid":
            s = sigmoid(inner)
            forms = (s, b(s, one_minus(s)), b(out, one_minus(out)))
        elif layer.activation == "linear":
            forms = (b(net), gain, gain)
        else:
            t = sp.tanh(inner)
            if layer.scale == 1:
                forms = (t, b(one_minus(t ** 2)), b(one_minus(out ** 2)))
            else:
                ratio = sp.Mul(gain, sp.Pow(scale, -1, evaluate=False), evaluate=False) if layer.gain != 1 \
                    else sp.Pow(scale, -1, evaluate=False)
                squares = sp.Add(sp.Pow(scale, 2, evaluate=False),
                                 sp.Mul(sp.S.NegativeOne, sp.Pow(out, 2), evaluate=False), evaluate=False)
                factors = [scale, gain] if layer.gain != 1 else [scale]
                forms = (sp.Mul(scale, t, evaluate=False), sp.Mul(*factors, one_minus(t ** 2), evaluate=False),
                         sp.Mul(ratio, squares, evaluate=False))
        engine = activation_formula(layer.activation, net, 0, layer.gain, layer.scale)
        raw, in_out = activation_derivative(layer.activation, net, out, 0, layer.gain, layer.scale)
        if any(sp.expand(evaluated(mine) - theirs) != 0 for mine, theirs in zip(forms, (engine, raw, in_out))):
            return None
        return forms

    def _simplification(self, q):
        """δ = out − t for softmax + cross-entropy (and sigmoid + binary cross-entropy), derived."""
        layer = self.network.layers[q.layer - 1]
        rule = S.SOFTMAX_CE if layer.activation == "softmax" else S.SIGMOID_BCE
        # each term as ∂E/∂out · ∂out/∂net, in that order, then each factor's formula put in
        terms = [sorted(t.args, key=lambda f: self.model[f.name].kind != "dE_dout") for t in q.terms] \
            if q.terms else [list(q.factors)]
        products = [sp.Mul(*t, evaluate=False) for t in terms]
        product = sp.Add(*products, evaluate=False) if len(products) > 1 else products[0]
        plugged_terms = [sp.Mul(*[self.display(self.model[f.name]) for f in t], evaluate=False) for t in terms]
        plugged = sp.Add(*plugged_terms, evaluate=False) if len(plugged_terms) > 1 else plugged_terms[0]
        if self.problem.spec.conventions.delta_sign < 0:  # δ = −∂E/∂net: the product's minus shown
            product, plugged = (sp.Mul(sp.S.NegativeOne, f, evaluate=False) for f in (product, plugged))
        expanded = sp.expand(sp.cancel(evaluated(plugged)))
        forms = [product, plugged, expanded, q.simplified]
        if sp.expand(expanded - q.simplified) != 0:  # never show a step that does not hold
            forms = [product, q.simplified]
        condition = None
        negative = self.problem.spec.conventions.delta_sign < 0  # δ = −∂E/∂net: t − out
        if layer.activation == "sigmoid" and layer.gain != 1:  # σ(λ·net): λ(out − t), λ as the spec wrote it
            rule = S.SIGMOID_GAIN_BCE_NEGATIVE if negative else S.SIGMOID_GAIN_BCE
            factored = self._gain_times_error(layer, q)
            if factored is not None:  # not the expanded 3/10·t − 3/10·out: λ as written, once
                forms = [f for f in forms if f is not expanded and f is not q.simplified] + [factored]
        elif negative:
            rule = S.SIGMOID_BCE_NEGATIVE if layer.activation == "sigmoid" else S.SOFTMAX_CE_NEGATIVE
        if layer.activation == "softmax":
            targets = [self.sym(self.ex(t, q.example)) for t in self.network.target_names]
            if sum(self.values[t.name] for t in targets) == 1:
                condition = sp.Eq(sp.Add(*targets, evaluate=False), 1, evaluate=False)
                forms.append(q.simplified.xreplace({sp.Add(*targets): sp.S.One}))
        self.emit(self.quantity_step(q.key, rule, forms, condition=condition))

    # -- shared sections
    def forward_section(self, n: int | None) -> Section:
        section = Section(S.FORWARD, example=n if self.n_examples > 1 else None)
        with self.into(section.items):
            for layer in self.network.layers:
                self._forward_layer(layer, n)
        return section

    def _forward_layer(self, layer, n):
        nets, outs = [], []
        for j, neuron in enumerate(layer.neurons):
            key = self.ex(f"net_{neuron}", n)
            form = self.net_display(layer, j, n)
            sources = [self.ex(src if layer.index == 1 else f"out_{src}", n) for src in layer.inputs]
            nets.append(self.quantity_step(key, self.weighted_sum_rule(layer), [form], uses=self.uses(*sources),
                                           example=n))
        for j, neuron in enumerate(layer.neurons):
            key = self.ex(f"out_{neuron}", n)
            scaled = self.scaled_forms(layer, self.sym(self.ex(f"net_{neuron}", n)), self.sym(key))
            formula = scaled[0] if scaled else self.as_written(layer, self.model[key].formula)  # 1.7159·tanh(2/3·net)
            forms = [formula]
            if layer.activation == "sigmoid":
                forms.append(formula.rewrite(sp.exp))
            outs.append((key, forms))
        self._emit_collapsible(nets, lambda step: step)
        out_steps = []
        for key, forms in outs:
            net_key = key.replace("out_", "net_", 1)
            out_steps.append(self.quantity_step(key, S.ACTIVATION, forms, uses=self.uses(net_key), example=n))
        self._emit_collapsible(out_steps, lambda step: step)

    def _emit_collapsible(self, steps: list[Step], row):
        """All steps, or (collapsed) the first in full and the rest as rows of a table."""
        if not steps:
            return
        if not self.collapse or len(steps) <= 2:
            for step in steps:
                self.emit(step)
            return
        self.emit(steps[0])
        self.emit_table(S.SAME_WAY, [_replace(row(step), substituted=()) for step in steps[1:]])

    def weighted_sum_rule(self, layer) -> str:
        """The forward rule: plus a bias, or minus a threshold (``bias_as: threshold``)."""
        if layer.bias_names and self.problem.spec.conventions.bias_sign < 0:
            return S.SUM_MINUS_THRESHOLD
        if layer.bias_names and self.problem.spec.conventions.bias_as in BIAS_COLUMNS:
            return S.SUM_WITH_BIAS_WEIGHT
        return S.SUM_OF_WEIGHTED_INPUTS

    def net_display(self, layer, j: int, n) -> sp.Expr:
        """w1·x1 + w2·x2 + b1, in the order the tutorials write it (the engine's formula, reordered)."""
        sources = [self.sym(self.ex(src if layer.index == 1 else f"out_{src}", n)) for src in layer.inputs]
        terms = [sp.Mul(sp.Symbol(w, real=True), src, evaluate=False)
                 for w, src in zip(layer.weight_names[j], sources)]
        if layer.bias_names:
            bias = sp.Symbol(layer.bias_names[j], real=True)
            terms.append(bias if self.problem.spec.conventions.bias_sign > 0 else sp.Mul(-1, bias, evaluate=False))
        form = sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
        engine = self.model[self.ex(f"net_{layer.neurons[j]}", n)].formula
        assert sp.expand(evaluated(form) - engine) == 0, "display form differs from the engine's formula"
        return form

    def error_section(self) -> Section:
        section = Section(S.ERROR)
        output = self.network.output_layer
        with self.into(section.items):
            totals = []
            for n in range(self.n_examples):
                terms = []
                for neuron in output.neurons:
                    key = self.ex(f"E_{neuron}", n)
                    terms.append(self.quantity_step(key, S.LOSS, [self.model[key].formula],
                                                    uses=self.uses(self.ex(f"out_{neuron}", n)), example=n))
                self._emit_collapsible(terms, lambda step: step)
                if self.n_examples > 1:
                    key = self.ex("E", n)
                    q = self.model[key]
                    totals.append(self.emit(self.quantity_step(
                        key, S.SUM_OF_TERMS, [q.formula], example=n,
                        uses=self.uses(*[t.name for t in q.terms]))))
            q = self.model["E_total"]
            rule = S.MEAN_OF_EXAMPLES if (self.n_examples > 1 and self.problem.spec.reduction == "mean") \
                else S.SUM_OF_TERMS
            self.emit(self.quantity_step("E_total", rule, [q.formula], uses=self.uses(*[t.name for t in q.terms])))
        return section

    # -- the problem and the summary
    def statement(self) -> Statement:
        spec, network = self.problem.spec, self.network
        inputs = tuple(tuple((self.sym(self.ex(name, n)), self.val(self.ex(name, n)))
                             for name in network.input_names) for n in range(self.n_examples))
        targets = tuple(tuple((self.sym(self.ex(name, n)), self.val(self.ex(name, n)))
                              for name in network.target_names) for n in range(self.n_examples))
        layers = tuple(self._layer_info(layer) for layer in network.layers)
        nodes, edges = self._diagram()
        return Statement(
            title=spec.title, inputs=inputs, targets=targets, layers=layers, loss=spec.loss,
            log_base=spec.log_base, reduction=spec.reduction, learning_rate=(self.sym("eta"), self.val("eta")),
            nodes=nodes, edges=edges, batch=self.n_examples > 1, optimizer=spec.optimizer.name,
            backprop_through_updated_weights=spec.conventions.backprop_through_updated_weights,
            bias_as=spec.conventions.bias_as,
            frozen=tuple(self.sym(name) for name in spec.frozen))

    def _layer_info(self, layer) -> LayerInfo:
        names = sp.ImmutableMatrix([[sp.Symbol(w, real=True) for w in row] for row in layer.weight_names])
        values = sp.ImmutableMatrix([[self.val(w) for w in row] for row in layer.weight_names])
        biases = ()
        if layer.bias_names:
            biases = tuple((sp.Symbol(b, real=True), self.val(b)) for b in dict.fromkeys(layer.bias_names))
        return LayerInfo(index=layer.index, units=layer.units, activation=layer.activation,
                         neurons=tuple(sp.Symbol(f"out_{x}", real=True) for x in layer.neurons),
                         weights=names, weight_values=values, biases=biases, bias_mode=layer.bias_mode,
                         train_bias=layer.train_bias, negative_slope=self.as_written(layer, sp.Rational(layer.negative_slope)),
                         scaled=self._scaled_formula(layer))

    def _diagram(self):
        network = self.network
        nodes = [Node(name, sp.Symbol(name, real=True), 0, i, len(network.input_names))
                 for i, name in enumerate(network.input_names)]
        edges = []
        for layer in network.layers:
            for j, neuron in enumerate(layer.neurons):
                nodes.append(Node(neuron, sp.Symbol(neuron, real=True), layer.index, j, layer.units))
                for k, source in enumerate(layer.inputs):
                    weight = layer.weight_names[j][k]
                    edges.append(Edge(source, neuron, sp.Symbol(weight, real=True), self.val(weight)))
        return tuple(nodes), tuple(edges)

    def summary(self) -> Summary:
        from ..engine.numeric import evaluate

        rows = []
        updated = {}
        for param in self.network.parameters:
            chain = self.model.chains[param.name]
            new_key = chain.update.key
            updated[param.name] = self.values[new_key]
            rows.append(SummaryRow(
                param=param.name, symbol=self.sym(param.name), kind=param.kind, layer=param.layer,
                value=self.val(param.name), gradient=self.val(chain.gradient.key),
                gradient_symbol=chain.gradient.symbol, updated=self.val(new_key), updated_symbol=chain.update.symbol,
                trainable=param.trainable, number=self.numbers.get(new_key)))
        # the error after the step: the same model evaluated with the updated parameters
        after = evaluate(self.model, precision=self.values.precision, carry_rounding=self.carry_rounding,
                         overrides=updated)
        return Summary(tuple(rows), self.val("E_total"), Value(after["E_total"], "E_total"), self.sym("E_total"))


# ---------------------------------------------------------------- helpers

def substitute(expr, lookup):
    """Replace symbols by ``lookup(symbol)`` (None keeps it) without evaluating anything.

    >>> x, y = sp.symbols("x y")
    >>> substitute(x + x * y, lambda s: sp.Integer(2) if s == x else None).args
    (2, 2*y)
    """
    if isinstance(expr, sp.Symbol):
        found = lookup(expr)
        return expr if found is None else found
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr.rows, expr.cols, [substitute(e, lookup) for e in expr])
    if expr.is_Atom or not expr.args:
        return expr
    args = [substitute(arg, lookup) for arg in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    return rebuild(expr, args, evaluate=False)


def rebuild(expr, args, *, evaluate: bool):
    """``expr.func(*args)``, unevaluated where SymPy allows it.

    >>> rebuild(sp.Integer(1) + sp.Symbol("x"), [sp.Integer(2), sp.Integer(3)], evaluate=False).args
    (2, 3)
    """
    try:
        return expr.func(*args, evaluate=evaluate)
    except TypeError:
        return expr.func(*args)


def evaluated(expr):
    """An unevaluated display form evaluated again, to check it against the engine.

    >>> evaluated(sp.Add(sp.Integer(2), sp.Integer(-1), evaluate=False))
    1
    """
    if isinstance(expr, (Value, Constant)):
        return expr.value
    if expr.is_Atom or not expr.args:
        return expr
    return rebuild(expr, [evaluated(arg) for arg in expr.args], evaluate=True)


def power_rule_form(of, var, raw):
    """The derivative of a loss written term by term before simplifying, or None.

    Each term c·u^n becomes n·c·u^(n−1)·u′, each c·ln(u) becomes c·(1/u)·u′, and a term
    without ``var`` becomes 0. The result is checked against SymPy's own derivative ``raw``.

    >>> o, t = sp.symbols("out t")
    >>> form = power_rule_form(sp.Rational(1, 2) * (t - o) ** 2, o, o - t)
    >>> form.args
    (2, 1/2, (-out + t)**(-1 + 2), -1)
    >>> form.args[2].exp.args
    (2, -1)
    """
    terms = sorted(sp.Add.make_args(of), key=lambda term: not term.has(var))  # the live term first, as taught
    shown = []
    for term in terms:
        if not term.has(var):
            shown.append(sp.S.Zero)
            continue
        piece = _term_rule(term, var)
        if piece is None:
            return None
        shown.append(piece)
    form = sp.Add(*shown, evaluate=False) if len(shown) > 1 else shown[0]
    if sp.expand(evaluated(form) - raw) != 0:
        return None
    return form


def _term_rule(term, var):
    coeff, factors = term.as_coeff_mul()
    inner = [f for f in factors if f.has(var)]
    if len(inner) != 1:
        return None
    others = [f for f in factors if not f.has(var)]
    f = inner[0]
    if f.is_Pow and f.exp.is_Integer and f.exp > 1:
        base, n = f.base, f.exp
        du = sp.diff(base, var)
        parts = [n] + ([coeff] if coeff != 1 else []) + others
        parts += [sp.Pow(base, sp.Add(n, -1, evaluate=False), evaluate=False)]
        if du != 1:
            parts.append(du)
        return sp.Mul(*parts, evaluate=False)
    if isinstance(f, sp.log):
        du = sp.diff(f.args[0], var)
        parts = ([coeff] if coeff != 1 else []) + others + [sp.Pow(f.args[0], -1, evaluate=False)]
        if du != 1:
            parts.append(du)
        return sp.Mul(*parts, evaluate=False)
    return None


def _scale(builder) -> sp.Expr:
    if builder.n_examples > 1 and builder.problem.spec.reduction == "mean":
        return sp.Rational(1, builder.n_examples)
    return sp.S.One


def _dedupe(forms):
    out = []
    for form in forms:
        if form is None:
            continue
        if not out or out[-1] != form:
            out.append(form)
    return out


def _put_constant(expr, number, constant):
    """``expr`` with ``number`` shown as ``constant``, a coefficient written first (0.01 net), unevaluated."""
    if expr == number:
        return constant
    if expr.is_Atom or not expr.args:
        return expr
    if expr.is_Mul and number in expr.args:
        rest = [a for a in expr.args if a != number]
        return sp.Mul(constant, *[_put_constant(a, number, constant) for a in rest], evaluate=False)
    args = [_put_constant(a, number, constant) for a in expr.args]
    return expr if all(a is b for a, b in zip(args, expr.args)) else rebuild(expr, args, evaluate=False)


def decimal_text(value) -> str | None:
    """A number's exact decimal text (1/20 -> 0.05), or None where its decimals do not end (1/3).

    >>> decimal_text(sp.Rational(1, 20)), decimal_text(sp.Rational(17159, 10000)), decimal_text(sp.Rational(1, 3))
    ('0.05', '1.7159', None)
    """
    value = sp.Rational(value)
    places = next((k for k in range(40) if 10 ** k % value.q == 0), None)
    if places is None:
        return None
    sign = "-" if value < 0 else ""
    whole, rest = divmod(abs(value.p) * 10 ** places // value.q, 10 ** places)
    return f"{sign}{whole}.{rest:0{places}d}" if places else f"{sign}{whole}"


def _replace(step, **changes):
    from dataclasses import replace

    return replace(step, **changes)
