"""A marking scheme: points per quantity, credit for follow-through and rounding, tolerances.

A scheme is a YAML or JSON file (read by the project's safe reader) or a dict; every key is
optional::

    tolerance: shown           # the default tolerance (derive.classroom.tolerance)
    tolerances:                # per quantity
      grad_w1: relative=1%
    points:                    # per quantity (a step of the solution is a quantity); default 1
      E_total: 2
      grad_w5: 3
    default_points: 1
    follow_through: 1          # share of the points for a claim right from the student's own
                               # earlier values (0 or false: no follow-through credit)
    rounding: 1                # share of the points for a rounding difference within the tolerance

Quantity names are the claims file's (``dE/dw1`` is ``grad_w1``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import SpecError
from ..spec.checker import Checker
from ..spec.claims import resolve_name, update_number
from ..spec.marking import read_marking
from ..spec.model import MARKING_KEYS as KEYS, Marking
from ..spec.source import Doc, from_python, parse_text, read_document
from ..spec.tolerance import read_tolerance
from .tolerance import DEFAULT, Tolerance, parse_tolerance


@dataclass(frozen=True)
class Scheme:
    """How claims are marked. :data:`DEFAULT_SCHEME` gives 1 point per quantity and full credit.

    >>> s = Scheme(points={"E_total": Fraction(2)}, follow_through=Fraction(1, 2))
    >>> s.credit("E_total", "follow_through"), s.credit("out_o1", "ok"), s.credit("out_o1", "wrong")
    (Fraction(1, 1), Fraction(1, 1), Fraction(0, 1))
    """

    tolerance: Tolerance = DEFAULT
    tolerances: dict = field(default_factory=dict)
    points: dict = field(default_factory=dict)
    default_points: Fraction = Fraction(1)
    follow_through: Fraction = Fraction(1)
    rounding: Fraction = Fraction(1)

    def tolerance_for(self, key: str) -> Tolerance:
        return self.tolerances.get(key, self.tolerance)

    def points_for(self, key: str) -> Fraction:
        return self.points.get(key, self.default_points)

    def credit(self, key: str, status: str, match: str | None = None) -> Fraction:
        """The points a claim of ``key`` earns with this verdict."""
        share = {"ok": self.rounding if match == "carried" else Fraction(1),
                 "follow_through": self.follow_through}.get(status, Fraction(0))
        return self.points_for(key) * share


DEFAULT_SCHEME = Scheme()


def read_scheme(source, keys) -> Scheme:
    """A scheme from a file path, YAML/JSON text or dict, its quantity names checked against ``keys``.

    >>> s = read_scheme("points: {E: 2, dE/dw5: 3}\\nfollow_through: 0.5\\ntolerance: sigfigs=3\\n", {"E_total", "grad_w5"})
    >>> s.points_for("E_total"), s.points_for("grad_w5"), s.follow_through, str(s.tolerance)
    (Fraction(2, 1), Fraction(3, 1), Fraction(1, 2), 'sigfigs=3')
    >>> read_scheme("rounding: 2\\n", set())
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: <scheme>:1: rounding must be a number from 0 to 1 (or true/false); got 2
    """
    if isinstance(source, Scheme):
        return source
    return build_scheme(read_marking_file(source), keys=keys)


def read_marking_file(source) -> Marking:
    """A scheme file's (or text's, or dict's) settings, checked but not tied to a network.

    >>> read_marking_file("follow_through: 0.5\\n").follow_through
    Fraction(1, 2)
    >>> read_marking_file("- 0.5\\n")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: <scheme>:1: <top level> must be a mapping of keys to values; got a list
    """
    if isinstance(source, Marking):
        return source
    doc = from_python(source) if isinstance(source, dict) else \
        parse_text(source, source="<scheme>", what="scheme") if "\n" in str(source) else \
        read_document(source, what="scheme")
    doc = Doc(doc.data, doc.lines, doc.source or "<scheme>")
    return read_marking(Checker(doc), doc.data if isinstance(doc.data, dict) else {})


def build_scheme(*layers, keys=None, tolerance=None) -> Scheme:
    """The scheme of one or more :class:`~derive.spec.model.Marking` layers, the later ones winning.

    A setting for every quantity in a later layer (its ``tolerance``, its ``default_points``) also
    overrides the per-quantity settings of the earlier layers: per command beats per spec, and per
    quantity beats a blanket setting of the same layer. Of an online sheet, a later layer's entry for a
    quantity (``out_h1``) replaces the earlier layers' entries for one update's (``u2_out_h1``); within a
    layer the one update's entry beats the plain one (:func:`update_scheme`). ``tolerance`` (``--tolerance``) is a last
    layer of its own.

    >>> from derive.spec.model import Marking
    >>> spec = Marking(tolerance=("relative", Fraction(1, 100)), tolerances=(("E_total", ("sigfigs", 3), 1),))
    >>> keys = {"E_total", "out_o1"}
    >>> s = build_scheme(spec, keys=keys)
    >>> str(s.tolerance_for("E_total")), str(s.tolerance_for("out_o1"))
    ('sigfigs=3', 'relative=0.01')
    >>> str(build_scheme(spec, keys=keys, tolerance="decimals=4").tolerance_for("E_total"))
    'decimals=4'
    """
    keys = keys or ()
    if tolerance is not None:
        layers = [*layers, Marking(tolerance=_tolerance_text(tolerance))]
    options = {"tolerances": {}, "points": {}}
    for layer in layers:
        if layer is None:
            continue
        for blanket, table, name in (("tolerance", "tolerances", "tolerance"),
                                     ("default_points", "points", "default_points")):
            value = getattr(layer, blanket)
            if value is not None:
                options[name] = _tolerance_of(value) if name == "tolerance" else value
                options[table] = {}
            found = {_key(quantity, keys, layer, table, line): _tolerance_of(item) if table == "tolerances" else item
                     for quantity, item, line in getattr(layer, table)}
            options[table] = {**_outranked(options[table], found), **found}
        for name in ("follow_through", "rounding"):
            if getattr(layer, name) is not None:
                options[name] = getattr(layer, name)
    return Scheme(**options)


def _outranked(earlier: dict, later: dict) -> dict:
    """The entries of an earlier layer a later one leaves: its plain ``out_h1`` also replaces the earlier
    layers' ``u2_out_h1`` (within one layer the entry for one update beats the plain one).

    >>> _outranked({"u2_out_h1": 5, "u2_out_h2": 4, "out_h2": 1}, {"out_h1": 2})
    {'u2_out_h2': 4, 'out_h2': 1}
    """
    def plain(key: str) -> str | None:
        number = update_number(key)
        return None if number is None else key[len(f"u{number}_"):]

    return {k: v for k, v in earlier.items() if plain(k) not in later}


def spec_scheme(spec, keys, scheme=None, tolerance=None) -> Scheme:
    """The scheme a command marks ``spec`` by: the spec's ``marking`` block, then the command's
    ``scheme`` (a file, text, dict or :class:`Scheme`), then ``tolerance`` (``--tolerance``).

    >>> from derive.spec import load_spec
    >>> spec = load_spec({"inputs": [1], "targets": [1], "layers": [{"units": 1, "activation": "sigmoid",
    ...                   "weights": [[0.5]]}], "marking": {"tolerance": "sigfigs=3"}})
    >>> str(spec_scheme(spec, {"E_total"}).tolerance_for("E_total"))
    'sigfigs=3'
    >>> str(spec_scheme(spec, {"E_total"}, tolerance="relative=1%").tolerance_for("E_total"))
    'relative=0.01'
    """
    if isinstance(scheme, Scheme):  # a finished scheme: only --tolerance goes over it, below its per-quantity ones
        return scheme if tolerance is None else dataclasses.replace(
            scheme, tolerance=parse_tolerance(tolerance, field="--tolerance"))
    command = read_marking_file(scheme) if scheme is not None else Marking()
    if tolerance is not None:  # the command's blanket tolerance: the scheme file's per-quantity ones still beat it
        command = dataclasses.replace(command, tolerance=_tolerance_text(tolerance))
    return build_scheme(spec.marking, command, keys=keys)


def update_scheme(scheme: Scheme, number: int, plain) -> Scheme:
    """The scheme of update ``number`` of an online sheet, by the names within the update (``plain``).

    An entry for a quantity (``out_h1``) applies to it in every update; one for the quantity of one update
    (``u2_out_h1``) applies to that update and beats the plain one of its own layer (a later layer's plain
    entry has already replaced it: :func:`build_scheme`).

    >>> s = Scheme(points={"out_h1": Fraction(2), "u2_out_h1": Fraction(5)})
    >>> [update_scheme(s, k, {"out_h1"}).points_for("out_h1") for k in (1, 2)]
    [Fraction(2, 1), Fraction(5, 1)]
    """
    prefix = f"u{number}_"

    def own(table: dict) -> dict:
        found = {k: v for k, v in table.items() if k in plain}
        found.update({k[len(prefix):]: v for k, v in table.items() if k.startswith(prefix) and k not in plain})
        return found

    return dataclasses.replace(scheme, tolerances=own(scheme.tolerances), points=own(scheme.points))


def update_keys(spec, count: int) -> dict[int, set]:
    """The quantity keys of each of the first ``count`` updates, as named within the update.

    >>> keys = update_keys("2-2-1-xor-negnevitsky", 2)
    >>> sorted(keys), "out_n5" in keys[2], "out_n5__1" in keys[2]
    ([1, 2], True, False)
    """
    from ..engine.network import build_network
    from ..engine.symbolic import build_model
    from ..spec import load_spec
    from .variants import update_spec

    spec = load_spec(spec)
    return {number: set(build_model(build_network(update_spec(spec, group))).by_key)
            for number, group in enumerate(spec.update_groups[:count], start=1)}


def quantity_keys(spec) -> set:
    """The keys of every quantity of ``spec``'s network (what a scheme's quantity names resolve to).

    >>> sorted(quantity_keys(__import__("derive.spec", fromlist=["x"]).load_spec("2-2-2")))[:3]
    ['E_o1', 'E_o2', 'E_total']
    """
    from ..engine.network import build_network
    from ..engine.symbolic import build_model

    return set(build_model(build_network(spec)).by_key)


def tolerance_of(spec, key: str, tolerance=None) -> Tolerance:
    """The tolerance a quiz export grades ``key`` of ``spec`` by: ``tolerance`` (``--tolerance``), then the
    spec's ``marking`` block (per quantity, then its blanket ``tolerance``), then ``shown``.

    >>> from derive.spec import load_spec
    >>> spec = load_spec({"inputs": [1], "targets": [1], "layers": [{"units": 1, "activation": "sigmoid",
    ...     "weights": [[0.5]]}], "marking": {"tolerance": "sigfigs=3", "tolerances": {"dE/dw1": "relative=1%"}}})
    >>> str(tolerance_of(spec, "E_total")), str(tolerance_of(spec, "grad_w1")), str(tolerance_of(spec, "grad_w1", "decimals=4"))
    ('sigfigs=3', 'relative=0.01', 'decimals=4')

    Of an online or mini-batch spec ``key`` is an update's answer key (``u2_out_h1``): an entry for ``out_h1``
    applies to every update, one for ``u2_out_h1`` to update 2 only (:func:`update_scheme`).
    """
    if spec.marking is None or (not spec.marking.tolerances and not spec.marking.points):
        return spec_scheme(spec, (), None, tolerance).tolerance_for(key)  # no names to resolve
    if spec.update == "batch":
        return spec_scheme(spec, _keys_of(_shape(spec), spec), None, tolerance).tolerance_for(key)
    within = _keys_of((_shape(spec), spec.batch_size), spec)
    named = within | {f"u{n}_{k}" for n in range(1, len(spec.update_groups) + 1) for k in within}
    scheme = spec_scheme(spec, named, None, tolerance)
    number = update_number(key)
    if number is None or key in within:
        return scheme.tolerance_for(key)
    return update_scheme(scheme, number, within).tolerance_for(key[len(f"u{number}_"):])


def _shape(spec) -> tuple:
    """What a network's quantity names depend on (not its numbers): variants of one spec share it."""
    layers = tuple((l.units, l.activation, l.bias_mode, l.neuron_names, l.weight_names, l.bias_names)
                   for l in spec.layers)
    return layers, spec.input_names, spec.target_names, spec.batch, len(spec.examples), spec.loss, spec.conventions


_KEYS: dict = {}


def _keys_of(shape, spec) -> set:
    """The quantity keys of ``spec`` (of an online spec: within any of its updates), cached by shape."""
    if shape not in _KEYS:
        _KEYS.clear() if len(_KEYS) > 64 else None
        if spec.update == "batch":
            _KEYS[shape] = quantity_keys(spec)
        else:
            _KEYS[shape] = set().union(*update_keys(spec, len(spec.update_groups)).values())
    return _KEYS[shape]


def _tolerance_text(tolerance) -> tuple:
    if isinstance(tolerance, Tolerance):
        return tolerance.mode, tolerance.amount
    return read_tolerance(tolerance, field="--tolerance")


def _tolerance_of(value) -> Tolerance:
    mode, amount = value
    return DEFAULT if mode == "shown" else Tolerance(mode, amount)


def _key(name, keys, layer: Marking, table: str, line) -> str:
    key = resolve_name(str(name), keys)
    if key is None:
        raise SpecError("is not a quantity of this network", field=".".join(map(str, (*layer.path, table, name))),
                        source=layer.source, line=line)
    return key
