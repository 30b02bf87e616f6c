"""The spec's textbook conventions and frozen parameters, validated (a part of :mod:`.validate`).

``check`` is the validator's checker (field paths, file:line errors); it is passed in, not imported,
so this module stays below :mod:`.validate`.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from fractions import Fraction

from .checker import describe
from .source import Num
from .model import ACTIVATION_KEYS, ACTIVATIONS, SCALED_ACTIVATIONS, BIAS_FORMS, CARRY_ROUNDING_KINDS, CONVENTION_KEYS, CarryRounding, Conventions, ERROR_TERMS, Spec
from .naming import name_network


def conventions(check, value) -> Conventions:
    """The ``conventions`` block: each switch checked, its default where not given.

    >>> from derive.spec import load_spec
    >>> spec = {"inputs": [1], "targets": [1], "layers": [{"units": 1, "activation": "sigmoid", "weights": [[0.5]]}],
    ...         "conventions": {"error_term": "negative", "carry_rounding": {"out": 3}}}
    >>> load_spec(spec).conventions.carry_rounding.places("out"), load_spec(spec).conventions.error_term
    (3, 'negative')
    """
    check.mapping(value, ("conventions",), CONVENTION_KEYS)
    through = check.boolean(value.get("backprop_through_updated_weights", False),
                            ("conventions", "backprop_through_updated_weights"))
    rounding = _carry_rounding(check, value.get("carry_rounding"))
    error_term = check.choice(value.get("error_term", "positive"), ("conventions", "error_term"), ERROR_TERMS)
    bias_as = check.choice(value.get("bias_as", "bias"), ("conventions", "bias_as"), BIAS_FORMS)
    return Conventions(backprop_through_updated_weights=through, carry_rounding=rounding, error_term=error_term,
                       bias_as=bias_as)


def _carry_rounding(check, value) -> int | CarryRounding | None:
    """One number of decimals for every quantity, or a map by kind (``{out: 3, delta: 4, default: 4}``)."""
    path = ("conventions", "carry_rounding")
    if value is None:
        return None
    if not isinstance(value, dict):
        return check.integer(value, path, low=0, high=30)
    check.mapping(value, path, (*CARRY_ROUNDING_KINDS, "default"))
    places = {key: check.integer(value[key], path + (key,), low=0, high=30) for key in value if value[key] is not None}
    if not places:
        check.fail(path, f"must name at least one of {', '.join((*CARRY_ROUNDING_KINDS, 'default'))}")
    default = places.pop("default", None)
    return CarryRounding(tuple((key, places[key]) for key in CARRY_ROUNDING_KINDS if key in places), default)


def frozen_parameters(check, value, spec: Spec) -> tuple[str, ...]:
    """The weights and biases held fixed: names of the network's parameters, each once.

    >>> from derive.spec import load_spec
    >>> load_spec({"inputs": [1], "targets": [1], "frozen": ["b1"],
    ...            "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]], "bias": 0.1}]}).frozen
    ('b1',)
    """
    names = name_network(spec)
    parameters = [w for layer in names.layers for row in layer.weights for w in row]
    parameters += [b for layer in names.layers for b in dict.fromkeys(layer.biases or ())]
    items = check.sequence(value, ("frozen",), min_len=0, max_len=len(parameters), what="a list of weight and bias names")
    frozen = []
    for i, item in enumerate(items):
        name = check.name(item, ("frozen", i))
        if name not in parameters:
            hint = difflib.get_close_matches(name, parameters, n=1)
            check.fail(("frozen", i), f"must name a weight or bias of the network"
                                      f"{f' (did you mean {hint[0]!r}?)' if hint else ''}; got {name!r}")
        if name in frozen:
            check.fail(("frozen", i), f"must name each parameter once; got {name!r} twice")
        frozen.append(name)
    return tuple(frozen)


_FRACTION = re.compile(r"\s*([0-9]{1,6})\s*/\s*([0-9]{1,6})\s*\Z")


def activation(check, value, path: tuple) -> tuple[str, Fraction, Fraction, dict]:
    """A layer's activation: a name, or ``{name, scale, gain}`` for f(net) = scale · g(gain · net).

    The numbers are read exactly from their text; a gain or scale may also be a fraction ``p/q``
    (``2/3``), parsed here (never evaluated).

    >>> from derive.spec import load_spec
    >>> layer = {"units": 1, "weights": [[0.5]], "activation": {"name": "tanh", "scale": 1.7159, "gain": "2/3"}}
    >>> spec = load_spec({"inputs": [1], "targets": [1], "layers": [layer]}).layers[0]
    >>> spec.activation, spec.scale, spec.gain
    ('tanh', Fraction(17159, 10000), Fraction(2, 3))
    """
    if not isinstance(value, dict):
        return check.choice(value, path, ACTIVATIONS), Fraction(1), Fraction(1), {}
    check.mapping(value, path, ACTIVATION_KEYS)
    if "name" not in value:
        check.fail(path, "is missing the required key 'name'")
    name = check.choice(value["name"], path + ("name",), ACTIVATIONS)
    allowed = SCALED_ACTIVATIONS.get(name, ())
    numbers, texts = {}, {}
    for key in ("scale", "gain"):
        if key not in value or value[key] is None:
            continue
        if key not in allowed:
            takes = " and ".join(allowed) if allowed else "no scale or gain"
            check.fail(path + (key,), f"does not apply to {name} (it takes {takes}); got {key}: {describe(value[key])}")
        numbers[key] = _positive(check, value[key], path + (key,))
        texts[key] = written_text(value[key], numbers[key])
    return name, numbers.get("gain", Fraction(1)), numbers.get("scale", Fraction(1)), texts


_WRITTEN = re.compile(r"\A(?:[0-9]+(?:\.[0-9]+)?|[0-9]+/[0-9]+)\Z")


def written_text(value, number: Fraction) -> str:
    """A gain or scale as the user wrote it (``1.7159``, ``2/3``), so that a solution can show it so.

    Text in another form (``1e0``, ``+2``) gives the number's plain decimal or ``p/q``.

    >>> written_text(Num("1.7159"), Fraction(17159, 10000)), written_text(" 2 / 3", Fraction(2, 3))
    ('1.7159', '2/3')
    >>> written_text(Num("5e-1"), Fraction(1, 2))
    '0.5'
    """
    text = (value.text if isinstance(value, Num) else str(value)).replace(" ", "").lstrip("+")
    if _WRITTEN.match(text):
        return text
    try:  # a decimal in another form: 5e-1 is 0.5
        plain = format(Decimal(text), "f")
    except ArithmeticError:
        plain = ""
    if _WRITTEN.match(plain) and Fraction(plain) == number:
        return plain
    q = number.denominator
    places = len(str(q)) - 1
    if 10 ** places == q:  # a decimal: 5e-1 is 0.5
        whole, rest = divmod(number.numerator, q)
        return f"{whole}.{rest:0{places}d}" if places else str(whole)
    return f"{number.numerator}/{q}"


def _positive(check, value, path: tuple) -> Fraction:
    """A gain or scale: a positive number from its decimal text, or a fraction ``p/q`` of whole numbers."""
    if isinstance(value, str) and not isinstance(value, Num):
        match = _FRACTION.match(value)
        if match is None or int(match[2]) == 0:
            check.fail(path, f"must be a positive number or a fraction p/q (2/3); got text {value[:40]!r}")
        number = Fraction(int(match[1]), int(match[2]))
        if not 0 < number <= 100:
            check.fail(path, f"must be greater than 0 and at most 100; got {value.strip()}")
        return number
    return check.number(value, path, low=Fraction(0), high=Fraction(100), low_open=True)
