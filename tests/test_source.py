"""Tests for derive.spec.source: the safe, exact reader of spec documents."""

from __future__ import annotations

import decimal
import fractions

import pytest
import sympy
import yaml

from derive.spec import json_reader, yaml_reader
from derive.errors import SpecError
from derive.spec.source import (MAX_BYTES, MAX_DEPTH, Doc, Num, format_path, from_python,
                           parse_text, read_document)

_LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])


@pytest.fixture(autouse=True, params=_LOADERS, ids=lambda loader: loader.__name__)
def yaml_loader(request, monkeypatch):
    """Run every test with the pure-Python and (when present) the libyaml event parser."""
    monkeypatch.setattr(yaml_reader, "_YAML_LOADER", request.param)
    return request.param


def error_of(text, **kwargs) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_text(text, **kwargs)
    return info.value


# --- Num ------------------------------------------------------------------------------

def test_num_values_are_exact():
    assert Num("0.1").value == sympy.Rational(1, 10)
    assert isinstance(Num("0.1").value, sympy.Rational)
    assert Num("0.15").value == sympy.Rational(3, 20)
    assert Num("1e3").value == 1000
    assert Num("1e-3").value == sympy.Rational(1, 1000)
    assert Num(".5").value == sympy.Rational(1, 2)
    assert Num("5.").value == 5
    assert Num("-2").value == -2 and Num("+2").value == 2


def test_num_integer_literal_text_repr():
    assert Num("3").is_integer_literal and Num("-2").is_integer_literal
    assert not Num("3.0").is_integer_literal and not Num("1e3").is_integer_literal
    assert Num("0.15").text == "0.15"
    assert repr(Num("0.15")) == "Num('0.15')"


def test_num_equality_hash_and_immutability():
    assert Num("0.5") == Num(".50")
    assert Num("2") == Num("2.0") and hash(Num("2")) == hash(Num("2.0"))
    assert Num("1") != 1  # only Nums compare equal to Nums (a bool must never pass as 1)
    with pytest.raises(AttributeError):
        Num("1").text = "2"


@pytest.mark.parametrize("text", ["1/3", "abc", "", " 1", "1_000", "0x10", "٣", "nan", "1e99999"])
def test_num_refuses_other_text(text):
    with pytest.raises(ValueError):
        Num(text)


# --- format_path -------------------------------------------------------------------------

def test_format_path():
    assert format_path(("layers", 1, "weights")) == "layers[1].weights"
    assert format_path(("layers", 1, "weights", 0, 1)) == "layers[1].weights[0][1]"
    assert format_path(()) == "<top level>"
    assert format_path(("a b",)) == '["a b"]'


# --- scalars -----------------------------------------------------------------------------

def test_plain_numbers_versus_quoted():
    data = parse_text('a: 1e3\nb: "1e3"\nc: \'0.1\'\nd: 0.1\ne: .5\nf: -7\n').data
    assert data == {"a": Num("1e3"), "b": "1e3", "c": "0.1", "d": Num("0.1"), "e": Num(".5"), "f": Num("-7")}
    assert data["d"].value == sympy.Rational(1, 10)


@pytest.mark.parametrize("word,value", [
    ("yes", True), ("Yes", True), ("YES", True), ("on", True), ("y", True), ("true", True),
    ("True", True), ("no", False), ("No", False), ("off", False), ("OFF", False), ("n", False),
    ("false", False), ("FALSE", False),
])
def test_yaml_11_booleans(word, value):
    assert parse_text(f"activation: {word}\n").data["activation"] is value


def test_quoted_boolean_words_stay_strings():
    assert parse_text('a: "no"\nb: \'on\'\n').data == {"a": "no", "b": "on"}


@pytest.mark.parametrize("word", ["~", "null", "Null", "NULL", ""])
def test_null_forms(word):
    assert parse_text(f"bias: {word}\n").data == {"bias": None}


def test_other_plain_scalars_are_strings():
    data = parse_text("a: 0x1F\nb: 1_000\nc: 2001-12-14\nd: sigmoid\ne: 1:30\nf: NO WAY\n").data
    assert data == {"a": "0x1F", "b": "1_000", "c": "2001-12-14", "d": "sigmoid", "e": "1:30", "f": "NO WAY"}


def test_strings_keep_their_text():
    data = parse_text('a: "tab\\there"\nb: |\n  line 1\n  line 2\nc: >\n  folded\n  text\n').data
    assert data == {"a": "tab\there", "b": "line 1\nline 2\n", "c": "folded text\n"}


@pytest.mark.parametrize("word", [".nan", ".NaN", ".inf", "-.inf", "+.inf", ".Inf", "nan", "inf", "-inf"])
def test_yaml_non_finite_numbers_are_refused(word):
    err = error_of(f"layers:\n  - bias: [1, {word}]\n", source="net.yaml")
    assert f"must be a finite number; got {word}" in str(err)
    assert err.field == "layers[0].bias[1]" and err.line == 2 and err.source == "net.yaml"


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_json_non_finite_numbers_are_refused(word):
    err = error_of('{"layers": [{"bias": [1,\n ' + word + "]}]}", fmt="json")
    assert "must be a finite number" in str(err) and word in str(err)
    assert err.field == "layers[0].bias[1]" and err.line == 2


def test_huge_exponent_is_refused_from_its_text():
    err = error_of("a: 1e999999999\n")  # refused from its text: never expanded to a billion digits
    assert err.field == "a" and "exponent" in str(err)
    assert error_of('{"a": 1e999999999}').field == "a"
    assert error_of("a: " + "9" * 5000 + "\n").field == "a"


# --- lines -------------------------------------------------------------------------------

YAML_NET = """\
# a comment
name: xor
layers:
  - size: 2
    weights:
      - [0.1, 0.2]
      - [0.3, abc]
  - size: 1
"""


def test_yaml_lines_of_nested_items():
    doc = parse_text(YAML_NET, source="net.yaml")
    assert isinstance(doc, Doc) and doc.source == "net.yaml"
    assert doc.data["layers"][0]["weights"][1] == [Num("0.3"), "abc"]
    assert doc.lines[()] == 1
    assert doc.lines[("name",)] == 2
    assert doc.lines[("layers",)] == 3           # a value is located at its key
    assert doc.lines[("layers", 0)] == 4
    assert doc.lines[("layers", 0, "weights")] == 5
    assert doc.lines[("layers", 0, "weights", 1)] == 7
    assert doc.lines[("layers", 0, "weights", 1, 1)] == 7
    assert doc.lines[("layers", 1, "size")] == 8


def test_yaml_lines_cover_every_value_path():
    doc = parse_text(YAML_NET)
    paths = set()

    def walk(value, path):
        paths.add(path)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,))

    walk(doc.data, ())
    assert paths == set(doc.lines)


JSON_NET = """{
  "name": "xor",
  "layers": [
    {"size": 2,
     "weights": [
       [0.1, 0.2],
       [0.3, "a\\"b,]}"]
     ]},
    {"size": 1}
  ]
}"""


def test_json_lines_of_nested_items():
    doc = parse_text(JSON_NET, source="net.json")
    assert doc.data["layers"][0]["weights"][1] == [Num("0.3"), 'a"b,]}']
    assert doc.data["layers"][1] == {"size": Num("1")}
    assert doc.lines[()] == 1
    assert doc.lines[("name",)] == 2
    assert doc.lines[("layers", 0)] == 4
    assert doc.lines[("layers", 0, "weights")] == 5
    assert doc.lines[("layers", 0, "weights", 0, 1)] == 6
    assert doc.lines[("layers", 0, "weights", 1, 1)] == 7
    assert doc.lines[("layers", 1, "size")] == 9


def test_json_numbers_keep_their_text():
    data = parse_text('{"a": 0.1, "b": 1E3, "c": -0, "d": 12}').data
    assert [n.text for n in data.values()] == ["0.1", "1E3", "-0", "12"]
    assert data["a"].value == sympy.Rational(1, 10)
    assert data["d"].is_integer_literal and not data["b"].is_integer_literal


def test_json_lines_fall_back_to_empty(monkeypatch):
    """If the position pass fails, the data is still read (just without lines)."""
    monkeypatch.setattr(json_reader, "_JSON_TOKEN", None)  # make the pass crash
    doc = parse_text('{"a": [1, 2]}')
    assert doc.data == {"a": [Num("1"), Num("2")]} and doc.lines == {}


# --- syntax errors -----------------------------------------------------------------------

def test_yaml_syntax_error_has_line_and_column():
    err = error_of("a: 1\nb: [1, 2\nc: 3\n", source="net.yaml")
    assert err.source == "net.yaml" and err.line == 3 and err.column == 2
    assert str(err).startswith("net.yaml:3:2: invalid YAML")
    assert "\n" not in str(err)
    err = error_of("a: 1\n b: 2\n")
    assert (err.line, err.column) == (2, 3)


def test_json_syntax_error_has_line_and_column():
    err = error_of('{"a": 1,\n "b": [1, 2,]}', source="net.json", fmt="json")
    assert (err.line, err.column) == (2, 13)
    assert str(err) == "net.json:2:13: invalid JSON: Expecting value"


def test_guess_falls_back_to_yaml_when_json_does_not_parse():
    # not JSON (trailing comma) but valid flow YAML
    assert parse_text('{"a": 1, b: [x, 2],}').data == {"a": Num("1"), "b": ["x", Num("2")]}


def test_control_character_in_yaml_text():
    err = error_of('a: 1\nb: "x\x01"\n')
    assert err.line == 2 and "not allowed" in str(err)


def test_lone_surrogate_is_refused():
    assert "not valid Unicode" in str(error_of("a: \ud800\n"))


# --- YAML safety -------------------------------------------------------------------------

def test_anchor_and_alias_are_refused():
    err = error_of("base: &b {size: 2}\nother: *b\n", source="net.yaml")
    assert "YAML anchors and aliases are not allowed; got '&b'" in str(err)
    assert err.line == 1 and err.field == "base"
    err = error_of("a: 1\nb: *nothing\n")
    assert "YAML anchors and aliases are not allowed; got '*nothing'" in str(err) and err.line == 2


def test_billion_laughs_is_refused_at_the_first_anchor():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    err = error_of("\n".join(lines) + "\n")
    assert "anchors and aliases are not allowed; got '&a'" in str(err) and err.line == 1


def test_python_tag_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    text = f'a: !!python/object/apply:os.system ["touch {marker}"]\n'
    err = error_of(text, source="net.yaml")
    assert "YAML tags are not allowed; got '!!python/object/apply:os.system'" in str(err)
    assert err.line == 1 and err.field == "a"
    assert not marker.exists()


@pytest.mark.parametrize("text,tag", [
    ("a: !!str 1\n", "!!str"), ("a: !foo bar\n", "!foo"), ("!!map\na: 1\n", "!!map"),
    ("a: !!seq [1]\n", "!!seq"), ("!!python/name:os.system x: 1\n", "!!python/name:os.system"),
])
def test_every_tag_is_refused(text, tag):
    assert f"YAML tags are not allowed; got '{tag}'" in str(error_of(text))


def test_multiple_documents_are_refused():
    err = error_of("a: 1\n---\nb: 2\n")
    assert "single YAML document" in str(err) and err.line == 2


def test_duplicate_keys_yaml():
    err = error_of("a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\n", source="net.yaml")
    assert err.field == "b" and err.line == 5
    assert "'c' twice (lines 3 and 5)" in str(err)


def test_duplicate_keys_json():
    err = error_of('{"a": 1,\n "b": {"c": 2,\n\n "c": 3}}', source="net.json")
    assert err.field == "b" and err.line == 4
    assert "'c' twice (lines 2 and 4)" in str(err)


def test_keys_must_be_strings():
    assert "mapping keys must be strings" in str(error_of("? [a, b]\n: 1\n"))
    assert "mapping keys must be strings" in str(error_of("{a: 1, {b: 2}: 3}\n"))
    # a scalar key is a name, taken as written (the validator reports unknown names)
    assert parse_text("y: 1\n1: 2\n").data == {"y": Num("1"), "1": Num("2")}


# --- shape and limits --------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n# and another\n", "\ufeff"])
def test_empty_spec(text):
    assert "the spec is empty" in str(error_of(text))


@pytest.mark.parametrize("text,kind", [
    ("- 1\n- 2\n", "a list"), ("[1, 2]", "a list"), ("hello\n", "a string"), ("3\n", "a number"),
    ("null", "null"), ("no\n", "a boolean"),
])
def test_top_level_must_be_a_mapping(text, kind):
    err = error_of(text)
    assert f"must be a mapping of keys to values; got {kind}" in str(err)
    assert err.field == "<top level>"


def test_size_cap_is_checked_before_parsing():
    text = "a: [" + "1, " * (MAX_BYTES // 3) + "1]\n"
    err = error_of(text)
    assert f"the limit is {MAX_BYTES} bytes" in str(err) and str(len(text)) in str(err)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 200, 100_000])
def test_depth_cap_yaml_and_json(depth, yaml_loader):
    for text in ["a: " + "[" * depth + "]" * depth + "\n", '{"a": ' + "[" * depth + "]" * depth + "}"]:
        err = error_of(text)
        assert f"at most {MAX_DEPTH} levels" in str(err) and err.line == 1
        if "exceeded maximum nesting depth" in str(err):  # libyaml's own limit (PyYAML >= 6.0.4) came first
            assert yaml_loader is not yaml.SafeLoader and text.startswith("a: ")
        else:
            assert err.field == "a" + "[0]" * (MAX_DEPTH - 1)  # the 21st container


def test_depth_cap_allows_max_depth():
    depth = MAX_DEPTH - 1  # plus the top-level mapping
    for text in ["a: " + "[" * depth + "]" * depth + "\n", '{"a": ' + "[" * depth + "]" * depth + "}"]:
        value = parse_text(text).data["a"]
        for _ in range(depth - 1):
            value = value[0]
        assert value == []


def test_unknown_format_is_a_spec_error():
    assert "format must be 'yaml' or 'json'" in str(error_of("a: 1", fmt="toml"))


# --- files -------------------------------------------------------------------------------

def test_read_document_formats(tmp_path):
    (tmp_path / "net.yaml").write_text(YAML_NET, encoding="utf-8")
    (tmp_path / "net.json").write_text(JSON_NET, encoding="utf-8")
    (tmp_path / "net.txt").write_text('{"a": 1}', encoding="utf-8")
    doc = read_document(tmp_path / "net.yaml")
    assert doc.source == str(tmp_path / "net.yaml") and doc.lines[("layers", 0, "weights", 1)] == 7
    assert read_document(str(tmp_path / "net.json")).data["name"] == "xor"
    assert read_document(tmp_path / "net.txt").data == {"a": Num("1")}


def test_read_document_json_extension_means_json(tmp_path):
    path = tmp_path / "net.json"
    path.write_text("a: 1\n", encoding="utf-8")
    err = pytest.raises(SpecError, read_document, path).value
    assert "invalid JSON" in str(err) and err.source == str(path)


def test_read_document_error_mentions_file_and_line(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(YAML_NET.replace("size: 1", "size: .nan"), encoding="utf-8")
    err = pytest.raises(SpecError, read_document, path).value
    assert str(err) == f"{path}:8: layers[1].size must be a finite number; got .nan"


def test_read_document_non_utf8(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    err = pytest.raises(SpecError, read_document, path).value
    assert "not UTF-8" in str(err) and "0xe9" in str(err) and err.line == 2


def test_read_document_size_cap(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * MAX_BYTES)
    err = pytest.raises(SpecError, read_document, path).value
    assert f"is {MAX_BYTES + 5} bytes; the limit is {MAX_BYTES} bytes" in str(err)


def test_read_document_missing_file_and_bom(tmp_path):
    err = pytest.raises(SpecError, read_document, tmp_path / "nope.yaml").value
    assert "cannot read the spec" in str(err)
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert read_document(path).data == {"a": Num("1")}


# --- from_python -------------------------------------------------------------------------

def test_from_python_numbers_are_exact():
    doc = from_python({
        "f": 0.1, "big": 1e16, "i": 3, "neg": -2, "frac": fractions.Fraction(1, 3),
        "dec": decimal.Decimal("0.25"), "rat": sympy.Rational(2, 6), "int": sympy.Integer(4),
    }, source="api")
    data = doc.data
    assert data["f"] == Num("0.1") and data["f"].text == "0.1"
    assert data["f"].value == sympy.Rational(1, 10)
    assert data["big"].value == 10 ** 16
    assert data["i"].text == "3" and data["i"].is_integer_literal
    assert data["neg"].value == -2
    assert data["frac"].value == sympy.Rational(1, 3) and not data["frac"].is_integer_literal
    assert data["dec"].value == sympy.Rational(1, 4)
    assert data["rat"].value == sympy.Rational(1, 3)
    assert data["int"].value == 4 and data["int"].is_integer_literal
    assert doc.lines == {} and doc.source == "api"


def test_from_python_bools_strings_tuples():
    data = from_python({"b": True, "n": False, "s": "1e3", "t": (1, (2, None))}).data
    assert data["b"] is True and data["n"] is False
    assert data["s"] == "1e3"
    assert data["t"] == [Num("1"), [Num("2"), None]]


@pytest.mark.parametrize("obj,message", [
    ({"a": float("nan")}, "a must be a finite number"),
    ({"a": [float("inf")]}, "a[0] must be a finite number"),
    ({"a": decimal.Decimal("NaN")}, "a must be a finite number"),
    ({"a": {1, 2}}, "a must be a string, number"),
    ({"a": sympy.Float(1.5)}, "a must be a string, number"),
    ({1: "x"}, "mapping keys must be strings"),
    ({"a": 10 ** 5000}, "at most 1000 digits"),
    ([1, 2], "must be a mapping of keys to values; got a list"),
])
def test_from_python_refusals(obj, message):
    with pytest.raises(SpecError) as info:
        from_python(obj, source="api")
    assert message in str(info.value)


def test_from_python_cycle_hits_depth_cap():
    data: dict = {}
    data["self"] = data
    with pytest.raises(SpecError, match="levels"):
        from_python(data)
