"""``derive examples``: list the built-in example networks."""

from __future__ import annotations

# The stages below are imported inside the functions, for start-up time: building the parser
# (derive --help, --version) and refusing a missing file load no SymPy (tests/test_startup.py).


def add_parser(sub) -> None:
    sub.add_parser("examples", help="list the built-in example networks",
                   description="List the built-in example networks; pass a name wherever a SPEC is asked for.")


def run(args) -> int:
    from ..spec.examples import describe_example, example_names

    width = max(len(name) for name in example_names())
    for name in example_names():
        print(f"{name:<{width}}  {describe_example(name)}")
    return 0
