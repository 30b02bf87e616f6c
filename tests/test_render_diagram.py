"""The network diagram: weight labels apart from each other, the neurons and the other arrows;
neurons named as in the equations."""

from __future__ import annotations

import itertools
import re

import pytest

import derive
from derive.render.diagram import NEURON_RADIUS, label_box, node_point
from derive.render.view import build_problem_view
from derive.steps import derive_steps

# A 2-3-2 network: its crossing arrows put labels at one fixed place along each arrow on top of each other.
SPEC_2_3_2 = {"inputs": [0.05, 0.1], "targets": [0.01, 0.99], "learning_rate": 0.5,
              "layers": [{"units": 3, "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3], [0.1, -0.1]],
                          "bias": 0.35},
                         {"units": 2, "activation": "sigmoid", "weights": [[0.4, 0.45, 0.2], [0.5, 0.55, -0.3]],
                          "bias": 0.6}]}
NETWORKS = {"2-3-2": SPEC_2_3_2, "3-3-3-3": "3-3-3-3", "2-2-2": "2-2-2", "2-2-1": "2-2-1"}


def diagram(spec, **options):
    return build_problem_view(derive_steps(derive.load(spec), **options))["diagram"]


def centres(view) -> dict[str, tuple[float, float]]:
    return {str(node["id"]): tuple(map(float, re.fullmatch(r"\((.*),(.*)\)", str(node["at"])).groups()))
            for node in view["nodes"]}


@pytest.mark.parametrize("values", [False, True], ids=["names", "values"])
@pytest.mark.parametrize("name", list(NETWORKS))
def test_weight_labels_do_not_overlap(name, values):
    view = build_problem_view(derive_steps(derive.load(NETWORKS[name])), diagram_values=values)["diagram"]
    assert view["labelled"] is True  # 3-3-3-3 with values too: the columns move apart to make room
    points = centres(view)
    boxes = [edge["box"] for edge in view["edges"]]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    for box in boxes:
        assert not any(box.meets_circle(x, y, NEURON_RADIUS) for x, y in points.values())
    for edge, box in zip(view["edges"], boxes):
        (x0, y0), (x1, y1) = points[str(edge["source"])], points[str(edge["target"])]
        assert abs((x1 - x0) * (box.y - y0) - (y1 - y0) * (box.x - x0)) < 1e-9  # on its own arrow
        assert min(x0, x1) < box.x < max(x0, x1)
        others = [e for e in view["edges"] if e is not edge]
        # With values a label is wider than the room between fanning arrows and may cut one (never a label).
        assert values and name == "3-3-3-3" or not any(box.crosses(points[str(e["source"])], points[str(e["target"])]) for e in others)


def test_the_overlap_check_can_fail():
    """Labels at one fixed place along every arrow (the old layout) do overlap on 2-3-2."""
    view = diagram(SPEC_2_3_2)
    points = centres(view)
    boxes = []
    for edge in view["edges"]:
        (x0, y0), (x1, y1) = points[str(edge["source"])], points[str(edge["target"])]
        boxes.append(label_box(x0 + 0.5 * (x1 - x0), y0 + 0.5 * (y1 - y0), str(edge["label"])))
    assert any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def test_the_label_tex_is_what_the_template_prints():
    tex = derive.solve(SPEC_2_3_2).latex()
    view = diagram(SPEC_2_3_2)
    for edge in view["edges"]:
        assert rf"\node[fill=white, inner sep=1pt, font=\scriptsize] at {edge['at']} {{${edge['label']}$}};" in tex


@pytest.mark.parametrize("style", ["scalar", "matrix"])
@pytest.mark.parametrize("name", ["3-3-3-3", "2-3-2"])
def test_neurons_are_named_as_in_the_equations(name, style):
    """h1,2 in the diagram and in out_{h1,2} (or b_{h1,2}, t_{o1}) of the equations (not h1_2 or \\mathit{h1}_{2})."""
    spec = NETWORKS[name]
    tex = derive.solve(spec, style=style).latex()
    markdown = derive.solve(spec, style=style).markdown()
    view = diagram(spec, style=style)
    neurons = [node for node in view["nodes"] if not node["input"]]
    assert neurons
    for node in neurons:
        subscript = str(node["label"]).replace("{,}", ",")
        assert re.search(rf"(\\mathit{{out}}|\\mathit{{net}}|b|t)_{{{re.escape(subscript)}}}", tex)  # out_{h1,2}, b_{h1,2}
        assert rf"{{${node['label']}$}};" in tex
        assert f'(("{subscript}"))' in markdown  # Mermaid's node text, the same name


def test_nodes_sit_in_centred_columns():
    view = diagram("2-2-2")
    points = list(centres(view).values())
    assert points[0] == node_point(0, 0, 2)
    assert points[0][1] == -points[1][1] > 0


def test_too_many_arrows_go_unlabelled():
    """Five arrows into one neuron, or more than MAX_LABELS arrows, would be unreadable: no labels then."""
    from derive.render.view import MAX_LABELS

    five_in = {"inputs": [0.1] * 5, "targets": [0.5],
               "layers": [{"units": 1, "activation": "sigmoid", "weights": [[0.1] * 5]}]}
    wide = {"inputs": [0.1] * 4, "targets": [0.5] * 4,  # 4-4-4-4: fan-in 4, but 48 arrows
            "layers": [{"units": 4, "activation": "sigmoid", "weights": [[0.1, 0.2, 0.3, 0.4]] * 4}] * 3}
    assert diagram({**five_in, "inputs": [0.1] * 4, "layers": [{"units": 1, "activation": "sigmoid",
                                                               "weights": [[0.1] * 4]}]})["labelled"] is True
    for spec in (five_in, wide):
        view = diagram(spec)
        assert view["labelled"] is False and all(edge["at"] is None for edge in view["edges"])
    assert len(diagram(wide)["edges"]) > MAX_LABELS
    assert r"font=\scriptsize] at" not in derive.solve(five_in).latex()
