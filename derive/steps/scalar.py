"""The scalar and delta styles: one parameter (or one neuron) at a time, as the tutorials do.

Each quantity is derived once, the first time a chain needs it (:meth:`ScalarBuilder.ensure`);
later chains cite the equation where it was found instead of deriving it again.
"""

from __future__ import annotations

import sympy as sp

from . import model as S
from .model import Group, Partial, Section, Step
from .builder import Builder
from ..engine.symbolic import chain_factors

class ScalarBuilder(Builder):
    """Builds the ``scalar`` (per-weight chain rule) and ``delta`` (δ per neuron) styles.

    >>> import derive
    >>> sections = ScalarBuilder(derive.load("2-2-1"), style="delta", only=None, carry_rounding=None,
    ...                          collapse=False).build()
    >>> [section.kind for section in sections]
    ['forward', 'error', 'output_layer', 'hidden_layer']
    """

    def build(self) -> list[Section]:
        sections = [self.forward_section(n) for n in range(self.n_examples)]
        sections.append(self.error_section())
        for layer in reversed(self.network.layers):
            section = Section(S.OUTPUT_LAYER if layer.is_output else S.HIDDEN_LAYER, layer=layer.index)
            with self.into(section.items):
                chosen = self._chosen(layer)
                if self.style == "delta":
                    self._delta_layer(layer, chosen)
                else:
                    self._scalar_layer(chosen)
            if section.items:
                sections.append(section)
        return sections

    # ------------------------------------------------------------ scalar style

    def _scalar_layer(self, chosen):
        self._parameter_groups(chosen)

    def _parameter_groups(self, chosen):
        """Each chosen parameter's gradient and update in full (only the first when collapsing), the rest as tables."""
        full = chosen[:1] if self.collapse else chosen
        for param in full:
            group = Group("parameter", param.name, symbol=self.sym(param.name), param_kind=param.kind)
            self._sink.append(group)
            with self.into(group.items):
                self._gradient(param)
                self._update(param)
        self._gradient_tables(chosen[len(full):])

    def _gradient(self, param):
        chain = self.model.chains[param.name]
        if self.n_examples == 1:
            self._example_gradient(param, 0)
            return
        total = sp.Add(*[q.symbol for q in chain.per_example], evaluate=False)
        self.emit(Step(chain.gradient.key, S.SUM_OVER_EXAMPLES, chain.gradient.symbol, forms=(total,)),
                  record=False)
        for n in range(self.n_examples):
            self._example_gradient(param, n)
        self.emit(self.quantity_step(chain.gradient.key, S.SUM_OVER_EXAMPLES, [total]))

    def _example_gradient(self, param, n):
        q = self.model.chains[param.name].per_example[n]
        if self.style == "delta":
            self._delta_gradient(q)
            return
        if q.factors:
            factors = chain_factors(self.model, param.name, n)
            product = sp.Mul(*[f.symbol for f in factors], evaluate=False)
            self.emit(Step(q.key, S.CHAIN_RULE, q.symbol, forms=(product,), example=self._example(n)),
                      record=False)
            for factor in factors:
                self.ensure(factor.key)
            self.emit(Step(q.key, S.PRODUCT, q.symbol, substituted=(self.put(product),), value=self.val(q.key),
                           uses=self.uses(*[f.key for f in factors]), example=self._example(n)))
            return
        # a shared bias feeds every neuron of its layer: one term per neuron
        form = sp.Add(*q.terms, evaluate=False)
        self.emit(Step(q.key, S.SUM_OVER_NEURONS, q.symbol, forms=(form,), example=self._example(n)), record=False)
        for term in q.terms:
            for factor in term.args:
                if factor.is_Symbol:  # not the −1 of δ = −∂E/∂net
                    self.ensure(factor.name)
        self.emit(_without_forms(self.quantity_step(q.key, S.SUM_OVER_NEURONS, [form])))

    def _update(self, param):
        chain = self.model.chains[param.name]
        q, p = chain.update, self.sym(param.name)
        if not param.trainable:
            self.emit(self.quantity_step(q.key, S.NOT_TRAINED, [p], uses=()))
            return
        form = sp.Add(p, sp.Mul(-1, self.model.learning_rate, chain.gradient.symbol, evaluate=False),
                      evaluate=False)
        self.emit(self.quantity_step(q.key, S.GRADIENT_DESCENT, [form, *self._error_term_update(param)]))

    def _error_term_update(self, param) -> list:
        """``w + η δ x``, the update as books with δ = −∂E/∂net write it (one example, one δ)."""
        chain = self.model.chains[param.name]
        if (self.style != "delta" or self.problem.spec.conventions.delta_sign > 0 or self.n_examples > 1
                or not chain.gradient.factors):
            return []
        delta, dnet = chain.gradient.factors
        formula = self.model[dnet.name].formula
        step = sp.Mul(self.model.learning_rate, delta, *([formula] if formula != 1 else []), evaluate=False)
        return [sp.Add(self.sym(param.name), step, evaluate=False)]

    def _gradient_tables(self, rest):
        """Collapsed: the remaining parameters' products and updates, one row each."""
        rows, updates = [], []
        for param in rest:
            chain = self.model.chains[param.name]
            for n, q in enumerate(chain.per_example):
                if self.style == "delta" or not q.factors:
                    rows.append(_without_forms(self.quantity_step(q.key, S.PRODUCT, [q.formula])))
                else:
                    product = sp.Mul(*[f.symbol for f in chain_factors(self.model, param.name, n)], evaluate=False)
                    rows.append(Step(q.key, S.PRODUCT, q.symbol, forms=(product,), substituted=(self.put(product),),
                                     value=self.val(q.key), example=self._example(n)))
            if self.n_examples > 1:
                total = sp.Add(*[q.symbol for q in chain.per_example], evaluate=False)
                rows.append(self.quantity_step(chain.gradient.key, S.SUM_OVER_EXAMPLES, [total]))
            updates.append(self._update_row(param))
        self.emit_table(S.SAME_WAY, rows)
        self.emit_table(S.GRADIENT_DESCENT, updates)

    def _update_row(self, param):
        chain = self.model.chains[param.name]
        if not param.trainable:
            return self.quantity_step(chain.update.key, S.NOT_TRAINED, [self.sym(param.name)], uses=())
        form = sp.Add(self.sym(param.name),
                      sp.Mul(-1, self.model.learning_rate, chain.gradient.symbol, evaluate=False), evaluate=False)
        return self.quantity_step(chain.update.key, S.GRADIENT_DESCENT, [form, *self._error_term_update(param)])

    # ------------------------------------------------------------ delta style

    def _delta_layer(self, layer, chosen):
        neurons = self._neurons_needed(layer, chosen)
        keys = [self.ex(f"delta_{neuron}", n) for n in range(self.n_examples) for neuron in neurons]
        first = keys[:1] if self.collapse else keys
        for key in first:
            group = Group("neuron", key, symbol=self.sym(key), example=self._example(self.model[key].example))
            self._sink.append(group)
            with self.into(group.items):
                self.ensure(key)
        rows = [self._delta_row(key) for key in keys[len(first):] if key not in self.numbers]
        self.emit_table(S.SAME_WAY, rows)
        self._parameter_groups(chosen)

    def _neurons_needed(self, layer, chosen):
        """Every neuron when a deeper layer is derived too; else those feeding the chosen parameters."""
        deeper = any(p.layer < layer.index for p in self._all_chosen())
        if deeper:
            return list(layer.neurons)
        needed = set()
        for param in chosen:
            needed.update(range(layer.units) if param.j is None else [param.j])
        return [neuron for j, neuron in enumerate(layer.neurons) if j in needed]

    def _all_chosen(self):
        return [p for layer in self.network.layers for p in self._chosen(layer)]

    def _delta_row(self, key):
        q = self.model[key]
        if q.factors:
            return self.quantity_step(key, S.PRODUCT, [q.formula])
        return _without_forms(self.quantity_step(key, S.CHAIN_RULE, [q.formula]))

    def _delta_gradient(self, q):
        sign = self.problem.spec.conventions.delta_sign
        if q.factors:
            delta, dnet = q.factors
            formula = self.model[dnet.name].formula
            if formula == -1:  # a threshold: ∂net/∂θ = −1
                sign, formula = -sign, sp.S.One
            forms = [q.formula, _signed(sign, delta if formula == 1 else sp.Mul(delta, formula, evaluate=False))]
        else:  # a shared bias: one δ per neuron it feeds
            pieces = []
            for term in q.terms:
                delta = next(f for f in term.args if f.is_Symbol and self.model[f.name].kind == "delta")
                dnet = next(f for f in term.args if f.is_Symbol and f is not delta)
                formula, term_sign = self.model[dnet.name].formula, sign
                if formula == -1:  # a threshold
                    formula, term_sign = sp.S.One, -sign
                pieces.append(_signed(term_sign, delta if formula == 1 else sp.Mul(delta, formula, evaluate=False)))
            forms = [q.formula, sp.Add(*pieces, evaluate=False)]
        for symbol in forms[-1].free_symbols:
            self.ensure(symbol.name)
        self.emit(self.quantity_step(q.key, S.CHAIN_RULE, forms))

    # ------------------------------------------------------------ deriving a quantity once

    def ensure(self, key: str) -> None:
        """Derive quantity ``key`` here unless an earlier equation already holds it."""
        if key in self.numbers:
            return
        q = self.model[key]
        if q.kind in ("input", "target", "param", "hyper", "net", "out", "error_term", "error_example",
                      "error_total"):
            return
        if q.kind == "dE_dout":
            if q.terms:
                self._hidden_error(q)
            else:
                self._loss_derivative(q)
        elif q.kind == "dout_dnet":
            self._activation_derivative(q)
        elif q.kind == "delta":
            self._delta(q)
        elif q.kind == "path":
            self._path(q)
        elif q.kind == "dnet_dparam":
            self._weighted_sum_derivative(q)
        elif q.kind == "updated":
            return  # the convention's updated weights: found in their own group (or listed in the summary)
        else:
            raise AssertionError(f"no derivation for {q.kind} {key}")

    def _delta(self, q):
        if q.factors:
            for factor in q.factors:
                self.ensure(factor.name)
            rule = S.CHAIN_RULE
            self.emit(self.quantity_step(q.key, rule, [q.formula]))
        else:  # softmax: every output depends on every net
            factors = sorted({f.name for term in q.terms for f in term.args},
                             key=lambda name: (self.model[name].kind != "dE_dout", self.model.quantities.index(
                                 self.model[name])))
            for name in factors:
                self.ensure(name)
            self.emit(self.quantity_step(q.key, S.CHAIN_RULE, [sp.Add(*q.terms, evaluate=False)]))
        if q.simplified is not None:
            self._simplification(q)

    def _hidden_error(self, q):
        """∂E/∂out_h as the sum over the paths to the next layer."""
        paths = [self.model[t.name] for t in q.terms]
        total = sp.Add(*q.terms, evaluate=False) if len(q.terms) > 1 else q.terms[0]
        if self.style == "delta":
            inline = sp.Add(*[p.formula for p in paths], evaluate=False) if len(paths) > 1 else paths[0].formula
            for p in paths:
                for factor in p.factors:
                    self.ensure(factor.name)
            step = self.quantity_step(q.key, S.SUM_OVER_PATHS, [inline])
            if len(paths) > 1:
                step = _with(step, substituted=step.substituted + (self.put(total),))
            self.emit(step)
            return
        self.emit(Step(q.key, S.SUM_OVER_PATHS, q.symbol, forms=(total,), example=self._example(q.example)),
                  record=False)
        full = paths[:1] if self.collapse else paths
        for path in full:
            self._path(path)
        self.emit_table(S.SAME_WAY, [self.quantity_step(p.key, S.PRODUCT, [p.formula]) for p in paths[len(full):]])
        self.emit(_without_forms(self.quantity_step(q.key, S.SUM_OVER_PATHS, [total])))

    def _path(self, q):
        """∂E_o/∂out_h = ∂E/∂net_o · ∂net_o/∂out_h, the second factor a weight."""
        n = q.example
        delta, weight = q.factors
        target = q.num[len("E_"):]
        net_key, out_key = self.ex(f"net_{target}", n), self.ex(q.den, n)
        partial = Partial(net_key, out_key)
        sign = self.problem.spec.conventions.delta_sign
        self.emit(Step(q.key, S.CHAIN_RULE, q.symbol, forms=(_signed(sign, sp.Mul(delta, partial, evaluate=False)),),
                       example=self._example(n)), record=False)
        self.ensure(delta.name)
        partial_key = f"{net_key}/{out_key}"
        layer = self.network.layers[self.model[net_key].layer - 1]
        j = layer.neurons.index(target)
        out = self.sym(out_key)
        derivative = sp.diff(self.model[net_key].formula, out)
        if derivative == weight:
            forms = (sp.Derivative(self.net_display(layer, j, n), out, evaluate=False), weight)
            rule, uses = S.WEIGHTED_SUM_DERIVATIVE, ()
        else:  # backpropagating through the already updated weights (a documented convention)
            forms, rule, uses = (weight,), S.UPDATED_WEIGHT, self.uses(weight.name)
        self.emit(Step(partial_key, rule, partial, forms=forms, value=self.val(weight.name), uses=uses,
                       example=self._example(n)))
        self.emit(Step(q.key, S.PRODUCT, q.symbol, substituted=(self.put(q.formula),), value=self.val(q.key),
                       uses=self.uses(delta.name, partial_key), example=self._example(n)))

    def _weighted_sum_derivative(self, q):
        n = q.example
        layer = self.network.layers[q.layer - 1]
        j = layer.neurons.index(q.neuron)
        param = self.sym(q.den)
        forms = [sp.Derivative(self.net_display(layer, j, n), param, evaluate=False), q.formula]
        self.emit(self.quantity_step(q.key, S.WEIGHTED_SUM_DERIVATIVE, forms))


# ---------------------------------------------------------------- helpers

def _signed(sign: int, expr):
    """``expr``, shown negated (unevaluated) under the ``error_term: negative`` convention."""
    return sp.Mul(sp.S.NegativeOne, expr, evaluate=False) if sign < 0 else expr


def _without_forms(step: Step) -> Step:
    """The value step after a split: the symbolic form was shown just before."""
    return _with(step, forms=())


def _with(step, **changes):
    from dataclasses import replace

    return replace(step, **changes)
