"""The built-in example networks, shipped as YAML files inside the package."""

from __future__ import annotations

from pathlib import Path

# the YAML files beside this module (a plain path: importlib.resources costs start-up time, and the
# package ships as files, as its templates do)
_FOLDER = Path(__file__).resolve().parent / "examples"

_DESCRIPTIONS = {
    "2-2-2": "the classic step-by-step network: sigmoid hidden and output layers, half squared error, "
             "fixed shared biases",
    "2-2-1": "linear hidden and output layers without biases: the delta form and the matrix form by hand",
    "3-3-3-3": "ReLU and sigmoid hidden layers, a softmax output with cross-entropy: index notation and "
               "the softmax Jacobian",
    "2-2-2-exercise": "the 2-2-2 network with a randomize: block that draws each variant's numbers, for "
                      "derive worksheet",
    "3-2-1-han-kamber": "Han & Kamber's sigmoid 3-2-1 example: error term −∂E/∂net, outputs rounded to 3 places, "
                        "δ to 4",
    "2-2-1-xor-negnevitsky": "Negnevitsky's sigmoid XOR network trained online: thresholds on a fixed input of −1, error "
                             "gradient −∂E/∂net, each example's update from the weights the last one left",
}


def example_names() -> list[str]:
    """The names of the built-in examples.

    >>> example_names()
    ['2-2-2', '2-2-1', '3-3-3-3', '2-2-2-exercise', '3-2-1-han-kamber', '2-2-1-xor-negnevitsky']
    """
    return list(_DESCRIPTIONS)


def describe_example(name: str) -> str:
    """One line about a built-in example.

    >>> describe_example("2-2-1")
    'linear hidden and output layers without biases: the delta form and the matrix form by hand'
    """
    return _DESCRIPTIONS[name]


def is_example(name: str) -> bool:
    return name in _DESCRIPTIONS


def example_path(name: str) -> Path:
    """Where the example's YAML file lies (inside the installed package)."""
    return _FOLDER / f"{name}.yaml"
