"""A claims file: the numbers a hand-worked solution prints, by the names documents print.

A claims file (YAML or JSON, read safely through :mod:`derive.spec.source`) maps quantity names to
numbers, plus an optional ``after_steps: N`` (the claims are about the network after N training
steps; default 0)::

    out_o1: 0.75136507
    dE/dw1: 0.000438568
    w5_updated: 0.35891648

The names (:data:`NAME_FORMS`; every model key such as ``net_h1`` or ``dE_o1_dout_h1`` works
as it is) are matched after spaces are removed and ``∂`` is read as ``d``, ``δ`` as ``delta``,
``η`` as ``eta`` and ``Etotal`` as ``E_total``. In a batch, the quantity of example n carries
the suffix ``__n`` (``out_o1__2``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from ..errors import SpecError, keyword
from .source import Doc, Num, from_python, parse_text, read_document
from .paths import claims_path  # noqa: F401  (re-exported)

AFTER_STEPS_KEY = "after_steps"
# A claims file comes from a student: its after_steps may not ask for minutes of training
# (the teacher's --after-steps may, up to the trainer's own limit).
MAX_FILE_STEPS = 100_000

# (display form, model key, what it is): the one table of accepted names, first match wins.
NAME_FORMS = (
    ("E, loss, error", "E_total", "the total error"),
    ("dE/dnet_o1, dE_total/dnet_o1", "delta_o1", "δ of a neuron"),
    ("dE/dout_o1, dE_total/dout_o1", "dE_dout_o1", "∂E_total/∂out of a neuron"),
    ("dE/dw1, dE_total/dw1, grad_w1", "grad_w1", "∂E_total/∂w1, the gradient"),
    ("dE_o1/dout_h1", "dE_o1_dout_h1", "one output's path back to a hidden neuron"),
    ("dout_o1/dnet_o1", "dout_dnet_o1", "the activation's derivative"),
    ("dout_o1/dnet_o2", "dout_o1_dnet_o2", "a softmax Jacobian entry"),
    ("dnet_o1/dw5", "dnet_o1_dw5", "∂net/∂parameter"),
    ("w5_new, w5_updated, w5+, new_w5", "w5_new", "a parameter after the update"),
    ("net_h1, out_h1, E_o1, delta_o1, t_o1, x1, w5, b1, eta, ...", "(as written)", "any quantity by its key"),
)

_RULES = (
    (re.compile(r"(?:E|loss|error)"), lambda m: "E_total"),
    (re.compile(r"dE(?:_total)?/dnet_(?P<n>.+)"), lambda m: f"delta_{m['n']}"),
    (re.compile(r"dE(?:_total)?/dout_(?P<n>.+)"), lambda m: f"dE_dout_{m['n']}"),
    (re.compile(r"dE(?:_total)?/d(?P<p>.+)"), lambda m: f"grad_{m['p']}"),
    (re.compile(r"dE_(?P<o>[^/]+)/dout_(?P<n>.+)"), lambda m: f"dE_{m['o']}_dout_{m['n']}"),
    (re.compile(r"dout_(?P<a>[^/]+)/dnet_(?P<b>.+)"),
     lambda m: f"dout_dnet_{m['a']}" if m["a"] == m["b"] else f"dout_{m['a']}_dnet_{m['b']}"),
    (re.compile(r"dnet_(?P<n>[^/]+)/d(?P<p>.+)"), lambda m: f"dnet_{m['n']}_d{m['p']}"),
    (re.compile(r"(?P<p>.+?)(?:_new|_updated|\+|')"), lambda m: f"{m['p']}_new"),
    (re.compile(r"new_(?P<p>.+)"), lambda m: f"{m['p']}_new"),
)


@dataclass(frozen=True)
class Claim:
    """One claimed number: the name as written, the model key, the number's text and exact value."""

    name: str
    key: str
    text: str
    value: Fraction
    decimals: int  # places after the point as written ("0.10" has 2)
    line: int | None = None
    # −1 when the name is the negative of its model key: ∂E/∂net claimed where δ = −∂E/∂net
    # (error_term: negative); text and value are then in the key's sign, ``written`` as the student wrote it
    sign: int = 1

    @property
    def written(self) -> str:
        """The number as the student wrote it (``text`` is in the model key's sign)."""
        return self.text if self.sign > 0 else _negated(self.text)

    @property
    def names_derivative(self) -> bool:
        """Whether the claim names ∂E/∂net of a δ key, whose sign no ``error_term`` convention changes.

        >>> [c.names_derivative for c in read_claims("dE/dnet_o1: 1\\ndelta_o2: 1\\n", {"delta_o1", "delta_o2"}).claims]
        [True, False]
        """
        return _names_derivative(self.name, self.key)

    def shown(self, computed):
        """A computed value of the key in the sign of the name as written.

        >>> claim = read_claims("dE/dnet_o1: 0.25\\n", {"delta_o1"}, error_term="negative").claims[0]
        >>> claim.shown(Fraction(-1, 4)), claim.written
        (Fraction(1, 4), '0.25')
        """
        return computed if self.sign > 0 else -computed

    @property
    def significant(self) -> int:
        """How many significant digits the claim prints (leading zeros do not count)."""
        digits = Decimal(self.text).as_tuple().digits
        return max(len("".join(map(str, digits)).lstrip("0")), 1)


@dataclass(frozen=True)
class Claims:
    claims: tuple[Claim, ...]
    after_steps: int
    source: str | None


def normalise(name: str) -> str:
    """A name as written, with spaces removed and the usual symbols spelled out.

    >>> normalise("∂E total / ∂w1"), normalise("δ_o1"), normalise("Etotal")
    ('dE_total/dw1', 'delta_o1', 'E_total')
    """
    text = name.replace("∂", "d").replace("η", "eta").replace("δ", "delta_")
    text = re.sub(r"\s*/\s*", "/", text.strip())
    text = re.sub(r"\s+", "_", text)
    text = text.replace("delta__", "delta_").replace("Etotal", "E_total")
    return text


def resolve_name(name: str, keys) -> str | None:
    """The model key a display name stands for, or None.

    >>> keys = {"E_total", "grad_w1", "w5_new", "dout_dnet_o1", "dE_o1_dout_h1", "delta_o1", "out_o1"}
    >>> [resolve_name(n, keys) for n in ["dE/dw1", "w5+", "dout_o1/dnet_o1", "dE_o1/dout_h1", "dE/dnet_o1", "loss"]]
    ['grad_w1', 'w5_new', 'dout_dnet_o1', 'dE_o1_dout_h1', 'delta_o1', 'E_total']
    >>> resolve_name("u2_dE/dw1", {"u1_grad_w1", "u2_grad_w1"}), resolve_name("u3_dE/dw1", {"u2_grad_w1"})
    ('u2_grad_w1', None)
    """
    text = normalise(name)
    suffix = ""
    match = re.fullmatch(r"(.+?)(__\d+)", text)
    if match:
        text, suffix = match.group(1), match.group(2)
    if text + suffix in keys:
        return text + suffix
    for pattern, key in _RULES:
        match = pattern.fullmatch(text)
        if match and key(match) + suffix in keys:
            return key(match) + suffix
    number = update_number(text)
    if number is not None:  # an online sheet's u2_dE/dw5: the name within update 2, resolved among its keys
        prefix = f"u{number}_"
        own = {k[len(prefix):] for k in keys if k.startswith(prefix)}
        found = resolve_name(normalise(name)[len(prefix):], own) if own else None
        return None if found is None else prefix + found
    return None


def update_number(name: str) -> int | None:
    """The update an online sheet's answer name is of (``u2_out_h1`` is of update 2), or None.

    >>> update_number("u2_out_h1"), update_number("u12_dE/dw5"), update_number("out_h1")
    (2, 12, None)
    """
    match = _UPDATE.match(normalise(name))
    return int(match.group(1)) if match else None


_UPDATE = re.compile(r"u([1-9]\d{0,5})_(?=.)")


def display_names(keys) -> list[str]:
    """The display forms of some model keys (for suggestions): ``grad_w1`` also as ``dE/dw1``."""
    names = []
    for key in keys:
        names.append(key)
        for pattern, form in ((r"grad_(.+)", r"dE/d\1"), (r"(.+)_new", r"\1_updated"),
                              (r"dE_dout_(.+)", r"dE/dout_\1"), (r"dout_dnet_(.+)", r"dout_\1/dnet_\1"),
                              (r"dE_(.+)_dout_(.+)", r"dE_\1/dout_\2")):
            if re.fullmatch(pattern, key):
                names.append(re.sub(pattern, form, key))
    return names


def read_claims(source, keys, *, after_steps: int | None = None, max_steps: int = MAX_FILE_STEPS,
                error_term: str = "positive", indexed: dict | None = None) -> Claims:
    """Read and validate a claims file (path, YAML/JSON text or dict) against the model ``keys``.

    Under ``error_term="negative"`` (δ = −∂E/∂net) a claim named ``dE/dnet_o1`` is ``delta_o1``
    negated: its text and value are kept in δ's sign (``sign`` −1) and ``written`` gives it back.
    ``indexed`` maps a parameter's indexed name, written ``w{l}_{j}{k}`` (``w^(2)_11``, ``w_{11}^{(2)}``
    as the student writes it), to its name; under a bias column ``w1_10`` is neuron 1's bias.

    ``after_steps`` (from the command line) overrides the file's own ``after_steps``. In a dict,
    a number may also be given as text (``"0.10"``), which keeps its printed precision.

    >>> claims = read_claims("out_o1: 0.7514\\ndE/dw1: 0.000438568\\n", {"out_o1", "grad_w1"})
    >>> [(c.key, c.text, c.decimals, c.line) for c in claims.claims]
    [('out_o1', '0.7514', 4, 1), ('grad_w1', '0.000438568', 9, 2)]
    >>> claim = read_claims("dE/dnet_o1: -0.25\\n", {"delta_o1"}, error_term="negative").claims[0]
    >>> claim.key, claim.text, claim.value, claim.written, claim.sign
    ('delta_o1', '0.25', Fraction(1, 4), '-0.25', -1)
    >>> read_claims("out_01: 0.75\\n", {"out_o1", "out_o2"})
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: <claims>:1: out_01 is not a quantity of this network; did you mean out_o1 or out_o2?
    """
    doc = _document(source)
    if not isinstance(doc.data, dict) or not doc.data:
        raise SpecError("a claims file must map quantity names to numbers", source=doc.source or "<claims>")
    steps = after_steps
    claims, seen = [], {}
    for name, value in doc.data.items():
        line = doc.lines.get((name,))
        where = dict(source=doc.source or "<claims>", line=line)
        if name == AFTER_STEPS_KEY:
            file_steps = _steps(value, max_steps, where)
            steps = file_steps if after_steps is None else after_steps
            continue
        key = resolve_name(name, keys)
        if key is None and indexed:
            key = resolve_name(_indexed(name, indexed), keys)
        if key is None:
            raise SpecError(f"is not a quantity of this network{_suggest(name, keys)}", field=_shown(name), **where)
        if key in seen:
            raise SpecError(f"claims {key} a second time (first as {seen[key]!r})", field=_shown(name), **where)
        seen[key] = name
        if isinstance(value, bool) or not isinstance(value, Num):
            raise SpecError(f"must be a number; got {_describe(value)}", field=_shown(name), **where)
        sign = -1 if error_term == "negative" and _names_derivative(name, key) else 1
        text = value.text if sign > 0 else _negated(value.text)
        claims.append(Claim(name, key, text, Fraction(text), _decimals(text), line, sign))
    if not claims:
        raise SpecError("the claims file claims no quantity", source=doc.source or "<claims>")
    return Claims(tuple(claims), steps or 0, doc.source)


# w^(l)_jk, w(l)_jk, w^{(l)}_{jk} (layer first) or w_{jk}^{(l)}, w_jk^(l) (layer last); one digit each
_INDEXED = re.compile(r"w\^?\{?\((?P<l>\d)\)\}?_\{?(?P<j>\d),?(?P<k>\d)\}?"
                      r"|w_\{?(?P<j2>\d),?(?P<k2>\d)\}?\^\{?\((?P<l2>\d)\)\}?")


def _indexed(name: str, indexed: dict) -> str:
    """A name with an indexed weight (``w^(1)_10``, ``w_{10}^{(1)}``) written as the parameter's own name.

    >>> _indexed("dE/dw^(1)_10", {"w1_10": "b_h1_1"}), _indexed("w_{21}^{(2)} new", {"w2_21": "w4"})
    ('dE/db_h1_1', 'w4 new')
    """
    def swap(m):
        layer, j, k = (m["l"], m["j"], m["k"]) if m["l"] else (m["l2"], m["j2"], m["k2"])
        return indexed.get(f"w{layer}_{j}{k}", m[0])
    return _INDEXED.sub(swap, name)


def _names_derivative(name: str, key: str) -> bool:
    """Whether a name resolved to a δ key is written as the derivative ∂E/∂net (not as δ itself).

    >>> _names_derivative("dE/dnet_o1", "delta_o1"), _names_derivative("δ_o1", "delta_o1")
    (True, False)
    """
    return key.startswith("delta_") and normalise(name).split("__")[0] != key.split("__")[0]


def _negated(text: str) -> str:
    """A number's text with the other sign, every digit kept.

    >>> _negated("0.25"), _negated("-0.25"), _negated("+1e-3")
    ('-0.25', '0.25', '-1e-3')
    """
    text = text.strip()
    if text.startswith("-"):
        return text[1:]
    return "-" + text.lstrip("+")


def _shown(name: str) -> str:
    """A claimed name for a one-line message: control characters (a terminal's escape codes) escaped.

    >>> _shown("out_o1")
    'out_o1'
    >>> print(_shown("out\\x1b[2J"))
    'out\\x1b[2J'
    >>> _shown("x" * 500)
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (500 characters)'
    """
    if len(name) > 60:  # a hostile name of a megabyte is not echoed whole
        name = f"{name[:40]}... ({len(name)} characters)"
    return name if name.isprintable() else repr(name)


def _document(source) -> Doc:
    if isinstance(source, Doc):  # already read (a grading run takes its own keys out first)
        return source
    if isinstance(source, dict):
        # from Python, a number may be given as its text ("0.10") to keep its printed precision
        return from_python({k: _number_text(v) for k, v in source.items()})
    if isinstance(source, Path):
        return read_document(source, what="claims file")
    path = claims_path(source) if isinstance(source, str) else None
    return read_document(path, what="claims file") if path else parse_text(source, what="claims file")


def _number_text(value):
    if isinstance(value, str):
        try:
            return Num(value.strip())
        except ValueError:
            return value
    return value


def _steps(value, max_steps: int, where: dict) -> int:
    if isinstance(value, Num) and value.is_integer_literal and 0 <= int(value.text) <= max_steps:
        return int(value.text)
    raise SpecError(f"must be a whole number from 0 to {max_steps} in a claims file ({keyword('after_steps')} goes further); "
                    f"got {_describe(value)[:60]}",
                    field=AFTER_STEPS_KEY, **where)


def _decimals(text: str) -> int:
    exponent = Decimal(text).as_tuple().exponent
    return max(-exponent, 0)


def _describe(value) -> str:
    if isinstance(value, Num):
        return value.text
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    return "nothing (null)" if value is None else "a list or mapping"


def _suggest(name: str, keys) -> str:
    names = display_names(sorted(keys))
    close = difflib.get_close_matches(normalise(name), names, n=3, cutoff=0.6) if len(name) < 100 else []
    if close:
        return "; did you mean " + " or ".join(close) + "?"
    return "; names look like out_o1, E_total, dE/dw1, w5_new (see 'derive check --help')"
