"""The matrix style: each layer at once, with the vectors and matrices written out (files 002, 004).

Forward: z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾, a⁽ˡ⁾ = f(z⁽ˡ⁾). Backward: δ⁽ᴸ⁾ = ∇ₐE ⊙ f′(z⁽ᴸ⁾) (Jᵀ∇ₐE for a
softmax), δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f′(z⁽ˡ⁾), ∂E/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ, W⁽ˡ⁾⁺ = W⁽ˡ⁾ − η ∂E/∂W⁽ˡ⁾.
With the bias folded into the matrix (``bias_as: weight_column_*``) a layer is z⁽ˡ⁾ = W̃⁽ˡ⁾ ã⁽ˡ⁻¹⁾ with
ã = [1; a] (W̃ᵀ ã where the spec wrote W̃ input-major, Learning From Data's s = Wᵀx) and ∂E/∂W̃ = δ ãᵀ (ã δᵀ).
Every entry of every vector is a quantity of the model, so every number is the engine's. One
entry of each element-wise derivative is derived in full first, as the scalar style does.
"""

from __future__ import annotations

import sympy as sp

from ..spec.model import BIAS_COLUMNS
from . import model as S
from .model import Applied, Difference, Group, Hadamard, MatProduct, Negated, Section, Step, Total, Transposed, Value
from .builder import Builder


class MatrixBuilder(Builder):
    """Builds the ``matrix`` style.

    >>> import derive
    >>> builder = MatrixBuilder(derive.load("2-2-1"), style="matrix", only=None, carry_rounding=3, collapse=False)
    >>> [step.key for step in builder.build()[0].items]
    ['z@1', 'a@1', 'z@2', 'a@2']
    >>> builder.msym("W", 2)
    W@2
    """

    def build(self) -> list[Section]:
        sections = [self._forward(n) for n in range(self.n_examples)]
        sections.append(self.error_section())
        chosen = {layer.index: self._chosen(layer) for layer in self.network.layers}
        lowest = min((index for index, params in chosen.items() if params), default=None)
        if lowest is None:
            return sections
        for layer in reversed(self.network.layers):
            if layer.index < lowest:
                break
            section = Section(S.OUTPUT_LAYER if layer.is_output else S.HIDDEN_LAYER, layer=layer.index)
            with self.into(section.items):
                for n in range(self.n_examples):
                    self._in_group(n, lambda n=n: self._deltas(layer, n))
                if chosen[layer.index]:
                    self._gradients(layer, chosen[layer.index])
            sections.append(section)
        return sections

    def _in_group(self, n, fill):
        if self.n_examples == 1:
            fill()
            return
        group = Group("example", f"example {self.network.example_number(n)}", example=n)
        self._sink.append(group)
        with self.into(group.items):
            fill()

    # ------------------------------------------------------------ names and numbers

    def msym(self, kind: str, layer: int, n: int | None = None) -> sp.Symbol:
        """A vector or matrix as one symbol: ``W@2``, ``delta@1@3`` (example 3 of a batch)."""
        suffix = f"@{self.network.example_number(n)}" if n is not None and self.n_examples > 1 else ""
        return sp.Symbol(f"{kind}@{layer}{suffix}", commutative=False)

    def column(self, keys) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix([[self.val(key)] for key in keys])

    def grid(self, rows) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix([[self.val(key) for key in row] for row in rows])

    def emit_vector(self, step: Step, keys) -> Step:
        """Emit a vector/matrix step and record it as the place of each of its entries."""
        step = self.emit(step)
        for key in keys:
            self.numbers[key] = step.number
        return step

    def source_keys(self, layer, n):
        return [self.ex(src if layer.index == 1 else f"out_{src}", n) for src in layer.inputs]

    def source_symbol(self, layer, n):
        return self.msym("a", layer.index - 1, n)

    def weights(self, layer, *, transposed_use: bool = False):
        """W⁽ˡ⁾ as used going backwards: the updated weights under that convention."""
        updated = self.problem.spec.conventions.backprop_through_updated_weights and transposed_use
        names = [[f"{w}_new" if updated else w for w in row] for row in layer.weight_names]
        return self.msym("Wnew" if updated else "W", layer.index), self.grid(names), names

    # ------------------------------------------------------------ forward

    def _forward(self, n) -> Section:
        section = Section(S.FORWARD, example=n if self.n_examples > 1 else None)
        with self.into(section.items):
            for layer in self.network.layers:
                self._forward_layer_matrix(layer, n)
        return section

    # ------------------------------------------------------------ bias folded into the matrix (x0 = 1)

    def folded(self, layer) -> bool:
        """Whether ``layer``'s bias is a column of its matrix, the weight on x0 = 1 (``bias_as: weight_column_*``)."""
        return bool(layer.bias_names) and self.problem.spec.conventions.bias_as in BIAS_COLUMNS

    def input_major(self, layer) -> bool:
        """Whether the spec wrote ``layer``'s matrix input-major (one row per input: s = Wᵀx, as LFD)."""
        return self.problem.spec.layers[layer.index - 1].layout == "input_major"

    def augmented_names(self, layer, suffix: str = "") -> list[list[str]]:
        """W̃⁽ˡ⁾'s entries as the spec wrote them: the bias column first or last, input-major transposed."""
        first = self.problem.spec.conventions.bias_as == "weight_column_first"
        rows = [[f"{b}{suffix}", *[f"{w}{suffix}" for w in row]] if first else [*[f"{w}{suffix}" for w in row],
                                                                                 f"{b}{suffix}"]
                for row, b in zip(layer.weight_names, layer.bias_names)]
        return [list(col) for col in zip(*rows)] if self.input_major(layer) else rows

    def augmented_source(self, layer, n) -> sp.ImmutableMatrix:
        """[1; a⁽ˡ⁻¹⁾] (or [a⁽ˡ⁻¹⁾; 1]): the layer's inputs with x0 = 1 where the bias column is."""
        one = [Value(sp.S.One, "x0")]
        entries = [self.val(key) for key in self.source_keys(layer, n)]
        first = self.problem.spec.conventions.bias_as == "weight_column_first"
        return sp.ImmutableMatrix([[v] for v in (one + entries if first else entries + one)])

    def _weighted(self, matrix, source, layer):
        """W̃ ã, or W̃ᵀ ã where the spec wrote W̃ input-major."""
        return MatProduct(Transposed(matrix) if self.input_major(layer) else matrix, source)

    def _forward_folded(self, layer, n):
        l = layer.index
        form = self._weighted(self.msym("Wt", l), self.msym("at", l - 1, n), layer)
        number = self._weighted(self.grid(self.augmented_names(layer)), self.augmented_source(layer, n), layer)
        return form, number

    def _forward_layer_matrix(self, layer, n):
        l = layer.index
        w_sym, w_num, _ = self.weights(layer)
        a_prev, a_prev_num = self.source_symbol(layer, n), self.column(self.source_keys(layer, n))
        form, number = MatProduct(w_sym, a_prev), MatProduct(w_num, a_prev_num)
        if self.folded(layer):
            form, number = self._forward_folded(layer, n)
        elif layer.bias_names:
            join = Total if self.problem.spec.conventions.bias_sign > 0 else Difference  # z = W a − θ
            form = join(form, self.msym("b", l))
            number = join(number, self.column(layer.bias_names))
        nets = [self.ex(f"net_{x}", n) for x in layer.neurons]
        outs = [self.ex(f"out_{x}", n) for x in layer.neurons]
        z = self.emit_vector(Step(f"z@{l}", self.weighted_sum_rule(layer), self.msym("z", l, n), forms=(form,),
                                  substituted=(number,), value=self.column(nets),
                                  uses=self.uses(*self.source_keys(layer, n)), example=self._example(n)), nets)
        if layer.activation == "linear" and layer.gain == 1:
            forms, substituted = (self.msym("z", l, n),), ()
        else:  # a scaled activation shows its scale and gain as written: a·tanh(b·z), σ(λ·z), k·z
            gain, scale = self.constants(layer)
            gain, scale = (gain if layer.gain != 1 else 1), (scale if layer.scale != 1 else 1)
            forms = (Applied(layer.activation, self.msym("z", l, n), gain=gain, scale=scale),)
            substituted = (Applied(layer.activation, self.column(nets), gain=gain, scale=scale),)
        self.emit_vector(Step(f"a@{l}", S.ACTIVATION, self.msym("a", l, n), forms=forms, substituted=substituted,
                              value=self.column(outs), uses=(z.number,), example=self._example(n)), outs)

    # ------------------------------------------------------------ backward

    def _deltas(self, layer, n):
        l = layer.index
        neurons = layer.neurons
        if layer.is_output:
            keys = [self.ex(f"dE_dout_{x}", n) for x in neurons]
            self._loss_derivative(self.model[keys[0]])  # one entry in full, the others in the same way
            grad = self.emit_vector(Step(f"gE@{l}", S.LOSS_DERIVATIVE, self.msym("gE", l, n),
                                         forms=(self._formulas(keys),), substituted=(self.put(self._formulas(keys)),),
                                         value=self.column(keys), uses=self.uses(*keys[:1]),
                                         example=self._example(n)), keys)
        else:
            above = self.network.layers[l]
            w_sym, w_num, _ = self.weights(above, transposed_use=True)
            deltas = [self.ex(f"delta_{x}", n) for x in above.neurons]
            keys = [self.ex(f"dE_dout_{x}", n) for x in neurons]
            rule, form, number = S.TRANSPOSE_PRODUCT, Transposed(w_sym), Transposed(w_num)
            if self.folded(above):  # no error flows to x0 = 1: W̃ without its bias column (row, input-major)
                rule = S.TRANSPOSE_PRODUCT_NO_BIAS_COLUMN
                if self.input_major(above):  # LFD: W⁽ˡ⁺¹⁾ δ⁽ˡ⁺¹⁾, the spec's own rows
                    rule, form, number = S.WEIGHT_PRODUCT_NO_BIAS_ROW, w_sym, w_num.T
            grad = self.emit_vector(Step(
                f"gE@{l}", rule, self.msym("gE", l, n),
                forms=(self._signed(MatProduct(form, self.msym("delta", l + 1, n))),),
                substituted=(self._signed(MatProduct(number, self.column(deltas))),), value=self.column(keys),
                uses=self.uses(*deltas), example=self._example(n)), keys)
        delta_keys = [self.ex(f"delta_{x}", n) for x in neurons]
        if layer.activation == "softmax":
            self._softmax_deltas(layer, n, grad, delta_keys)
            return
        fp_keys = [self.ex(f"dout_dnet_{x}", n) for x in neurons]
        self._activation_derivative(self.model[fp_keys[0]])
        fp = self.emit_vector(Step(f"fp@{l}", S.ACTIVATION_DERIVATIVE, self.msym("fp", l, n),
                                   forms=(self._formulas(fp_keys),), substituted=(self.put(self._formulas(fp_keys)),),
                                   value=self.column(fp_keys), uses=self.uses(*fp_keys[:1]),
                                   example=self._example(n)), fp_keys)
        self.emit_vector(Step(f"delta@{l}", S.HADAMARD, self.msym("delta", l, n),
                              forms=(self._signed(Hadamard(self.msym("gE", l, n), self.msym("fp", l, n))),),
                              substituted=(self._signed(Hadamard(self.column(_entry_keys(grad)),
                                                                 self.column(fp_keys))),),
                              value=self.column(delta_keys), uses=(grad.number, fp.number),
                              example=self._example(n)), delta_keys)
        q = self.model[delta_keys[0]]
        if q.simplified is not None:  # sigmoid with binary cross-entropy
            self._simplification(q)

    def _softmax_deltas(self, layer, n, grad, delta_keys):
        l, neurons = layer.index, layer.neurons
        jac = [[self.ex(f"dout_{i}_dnet_{j}", n) for j in neurons] for i in neurons]
        self._activation_derivative(self.model[jac[0][0]])
        self._activation_derivative(self.model[jac[1][0]])
        formulas = sp.ImmutableMatrix([[self.model[k].formula for k in row] for row in jac])
        flat = [k for row in jac for k in row]
        jstep = self.emit_vector(Step(f"J@{l}", S.QUOTIENT_RULE, self.msym("J", l, n), forms=(formulas,),
                                      substituted=(self.put(formulas),), value=self.grid(jac),
                                      uses=self.uses(jac[0][0], jac[1][0]), example=self._example(n)), flat)
        self.emit_vector(Step(f"delta@{l}", S.CHAIN_RULE, self.msym("delta", l, n),
                              forms=(self._signed(MatProduct(Transposed(self.msym("J", l, n)), self.msym("gE", l, n))),),
                              substituted=(self._signed(MatProduct(Transposed(self.grid(jac)),
                                                                   self.column(_entry_keys(grad)))),),
                              value=self.column(delta_keys), uses=(jstep.number, grad.number),
                              example=self._example(n)), delta_keys)
        q = self.model[delta_keys[0]]
        if q.simplified is None:
            return
        self._simplification(q)  # derived for one neuron, then for the vector
        targets = [self.ex(t, n) for t in self.network.target_names]
        if sum(self.values[t] for t in targets) == 1 and _scale_is_one(self):
            outs = [self.ex(f"out_{x}", n) for x in neurons]
            pair = [(self.msym("a", l, n), self.column(outs)), (self.msym("t", 0, n), self.column(targets))]
            if self.problem.spec.conventions.delta_sign < 0:  # δ = t − a
                pair.reverse()
            self.emit_vector(Step(f"delta@{l}", S.SOFTMAX_CE, self.msym("delta", l, n),
                                  forms=(Difference(pair[0][0], pair[1][0]),),
                                  substituted=(Difference(pair[0][1], pair[1][1]),),
                                  value=self.column(delta_keys), uses=self.uses(*outs),
                                  example=self._example(n)), delta_keys)

    def _signed(self, expr):
        """``expr``, negated where δ = −∂E/∂net (the ``error_term: negative`` convention)."""
        return Negated(expr) if self.problem.spec.conventions.delta_sign < 0 else expr

    def _formulas(self, keys) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix([[self.display(self.model[key])] for key in keys])

    # ------------------------------------------------------------ gradients and updates

    def _gradients(self, layer, chosen):
        l = layer.index
        names = {p.name for p in chosen}
        if self.folded(layer):  # one matrix, the bias column in: ∂E/∂W̃ = δ ãᵀ (ã δᵀ input-major), W̃⁺
            self._weight_gradient(layer, folded=True)
            self._weight_update(layer, folded=True)
            return
        if any(name in names for row in layer.weight_names for name in row):
            self._weight_gradient(layer)
            self._weight_update(layer)
        biases = [p for p in chosen if p.kind == "bias"]
        if biases:
            self._bias_gradient(layer, biases)

    def _outer(self, layer, n, folded: bool):
        """(symbolic, numeric) δ aᵀ; folded: δ ãᵀ, or ã δᵀ where the spec wrote W̃ input-major."""
        l = layer.index
        deltas = self.column([self.ex(f"delta_{x}", n) for x in layer.neurons])
        if not folded:
            return (MatProduct(self.msym("delta", l, n), Transposed(self.source_symbol(layer, n))),
                    MatProduct(deltas, Transposed(self.column(self.source_keys(layer, n)))))
        delta, source = self.msym("delta", l, n), self.msym("at", l - 1, n)
        number = self.augmented_source(layer, n)
        if self.input_major(layer):
            return MatProduct(source, Transposed(delta)), MatProduct(number, Transposed(deltas))
        return MatProduct(delta, Transposed(source)), MatProduct(deltas, Transposed(number))

    def _weight_gradient(self, layer, folded: bool = False):
        l = layer.index
        kind = "gradWt" if folded else "gradW"
        names = self.augmented_names(layer) if folded else layer.weight_names
        per_example = []
        for n in range(self.n_examples):
            keys = [[self.ex(f"grad_{w}", n) for w in row] for row in names]
            deltas = [self.ex(f"delta_{x}", n) for x in layer.neurons]
            sources = self.source_keys(layer, n)
            lhs = self.msym(kind, l, n)
            per_example.append(lhs)
            form, number = self._outer(layer, n, folded)
            rule = S.OUTER_PRODUCT if not folded else (S.OUTER_PRODUCT_BIAS_ROW if self.input_major(layer)
                                                       else S.OUTER_PRODUCT_BIAS_COLUMN)
            self.emit_vector(Step(
                f"gradW@{l}", rule, lhs, forms=(self._signed(form),), substituted=(self._signed(number),),
                value=self.grid(keys), uses=self.uses(*deltas, *sources), example=self._example(n)),
                [k for row in keys for k in row])
        if self.n_examples > 1:
            keys = [[f"grad_{w}" for w in row] for row in names]
            parts = [self.grid([[self.ex(f"grad_{w}", n) for w in row] for row in names])
                     for n in range(self.n_examples)]
            self.emit_vector(Step(f"gradW@{l}", S.SUM_OVER_EXAMPLES, self.msym(kind, l),
                                  forms=(Total(*per_example),), substituted=(Total(*parts),), value=self.grid(keys),
                                  uses=self.uses(*[self.ex(f"grad_{w}", n) for n in range(self.n_examples)
                                                   for w in names[0][:1]])),
                             [k for row in keys for k in row])

    def _weight_update(self, layer, folded: bool = False):
        l = layer.index
        eta = self.model.learning_rate
        names = self.augmented_names(layer) if folded else layer.weight_names
        grads = self.grid([[f"grad_{w}" for w in row] for row in names])
        new_keys = [[f"{w}_new" for w in row] for row in names]
        rule, gradient, grads = self._masked(names, self.msym("gradWt" if folded else "gradW", l), grads)
        self.emit_vector(Step(
            f"Wnew@{l}", rule, self.msym("Wtnew" if folded else "Wnew", l),
            forms=(Difference(self.msym("Wt" if folded else "W", l), MatProduct(eta, gradient)),),
            substituted=(Difference(self.grid(names), MatProduct(self.val("eta"), grads)),),
            value=self.grid(new_keys), uses=self.uses(f"grad_{names[0][0]}")),
            [k for row in new_keys for k in row])

    def _bias_gradient(self, layer, biases):
        l = layer.index
        if layer.bias_mode == "shared":  # one number feeds every neuron: the sum of the layer's δ
            for param in biases:
                chain = self.model.chains[param.name]
                for q in chain.per_example:
                    deltas = [next(f for f in t.args if f.is_Symbol and self.model[f.name].kind == "delta")
                              for t in q.terms]
                    total = sp.Add(*deltas, evaluate=False)
                    if self._bias_gradient_sign() < 0:
                        total = sp.Mul(sp.S.NegativeOne, total, evaluate=False)
                    self.emit(self.quantity_step(q.key, S.SUM_OVER_NEURONS, [total]))
                if self.n_examples > 1:
                    total = sp.Add(*[q.symbol for q in chain.per_example], evaluate=False)
                    self.emit(self.quantity_step(chain.gradient.key, S.SUM_OVER_EXAMPLES, [total]))
                self._bias_update_scalar(param)
            return
        per_example = []
        for n in range(self.n_examples):
            keys = [self.ex(f"grad_{b}", n) for b in layer.bias_names]
            lhs = self.msym("gradb", l, n)
            per_example.append(lhs)
            delta = self.msym("delta", l, n)
            self.emit_vector(Step(f"gradb@{l}", S.CHAIN_RULE, lhs, forms=(Negated(delta) if self._bias_gradient_sign() < 0
                                                                          else delta,),
                                  value=self.column(keys),
                                  uses=self.uses(*[self.ex(f"delta_{x}", n) for x in layer.neurons]),
                                  example=self._example(n)), keys)
        keys = [f"grad_{b}" for b in layer.bias_names]
        if self.n_examples > 1:
            parts = [self.column([self.ex(f"grad_{b}", n) for b in layer.bias_names]) for n in range(self.n_examples)]
            self.emit_vector(Step(f"gradb@{l}", S.SUM_OVER_EXAMPLES, self.msym("gradb", l),
                                  forms=(Total(*per_example),), substituted=(Total(*parts),),
                                  value=self.column(keys)), keys)
        if any(self.network.parameter(b).trainable for b in layer.bias_names):
            new_keys = [f"{b}_new" for b in layer.bias_names]
            rule, gradient, grads = self._masked([[b] for b in layer.bias_names], self.msym("gradb", l),
                                                 self.column(keys))
            self.emit_vector(Step(
                f"bnew@{l}", rule, self.msym("bnew", l),
                forms=(Difference(self.msym("b", l), MatProduct(self.model.learning_rate, gradient)),),
                substituted=(Difference(self.column(layer.bias_names), MatProduct(self.val("eta"), grads)),),
                value=self.column(new_keys), uses=self.uses(keys[0])), new_keys)

    def _bias_gradient_sign(self) -> int:
        """∂E/∂b = ±δ: minus for δ = −∂E/∂net, minus again for a threshold (∂net/∂θ = −1)."""
        conventions = self.problem.spec.conventions
        return conventions.delta_sign * conventions.bias_sign

    def _masked(self, names, gradient, grads):
        """(rule, symbolic, numeric) gradient of an update; frozen entries (``frozen:``) masked by 0 ⊙."""
        mask = sp.ImmutableMatrix([[int(self.network.parameter(name).trainable) for name in row] for row in names])
        if all(mask):
            return S.GRADIENT_DESCENT, gradient, grads
        return S.FROZEN_MASK, Hadamard(mask, gradient), Hadamard(mask, grads)

    def _bias_update_scalar(self, param):
        chain = self.model.chains[param.name]
        p = self.sym(param.name)
        if not param.trainable:
            return
        form = sp.Add(p, sp.Mul(-1, self.model.learning_rate, chain.gradient.symbol, evaluate=False), evaluate=False)
        self.emit(self.quantity_step(chain.update.key, S.GRADIENT_DESCENT, [form]))


def _entry_keys(step: Step) -> list[str]:
    """The quantity keys of a vector step's entries, in order."""
    return [entry.key for entry in step.value]


def _scale_is_one(builder) -> bool:
    return not (builder.n_examples > 1 and builder.problem.spec.reduction == "mean")


__all__ = ["MatrixBuilder"]
