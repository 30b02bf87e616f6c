"""The tree is the architecture: data flows one way through the stages, with no import cycle.

Every import in ``derive/`` (deferred ones inside functions included) is read with ``ast``;
a module may import only its own stage and the stages before it, and the module graph has
no cycle. ``derive/__init__.py`` (the public API), ``__main__`` and ``gallery`` sit on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "derive"

# Each stage may import the stages listed before it, and itself. The first holds the base
# exception and the version, which every stage may use.
FLOW = (("errors", "version"), ("io",), ("spec",), ("engine",), ("steps",), ("render",), ("classroom",), ("cli",))
TOP = ("derive", "derive.__main__", "derive.gallery")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The ``derive`` modules a file imports, resolved to full names (module or package)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "derive"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != "derive":
                continue
            for alias in node.names:  # "from . import model" names a module; "from .x import f" a name
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _exists(candidate) else base)
    return found


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def stage(module: str) -> int | None:
    """The position of a module's stage in FLOW; None for the top (public API and scripts)."""
    if module in TOP:
        return None
    return next(i for i, names in enumerate(FLOW) if module.split(".")[1] in names)


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_belongs_to_a_stage():
    for module in graph():
        if module not in TOP:
            assert any(module.split(".")[1] in names for names in FLOW), f"{module} is in no stage of {FLOW}"


def test_imports_follow_the_flow():
    against = [f"{module} imports {target}" for module, targets in graph().items() if stage(module) is not None
               for target in sorted(targets) if stage(target) is None or stage(target) > stage(module)]
    assert not against, "imports against the flow:\n" + "\n".join(against)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the module graph as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt == node or _is_parent(nxt, node):
                continue  # a package's __init__ is run first by Python anyway; not an edge of the flow
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if state.get(nxt) is None and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(edges):
        if state.get(node) is None and (found := visit(node)):
            return found
    return None


def _is_parent(package: str, module: str) -> bool:
    return module.startswith(package + ".")


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"p.x": {"p.y"}, "p.y": {"p.x"}}, ["p.x", "p.y", "p.x"]),
])
def test_find_cycle_finds_cycles(edges, expected):
    assert find_cycle(edges) == expected


def test_the_checks_see_deferred_and_relative_imports(tmp_path):
    """The reader resolves relative imports and sees imports inside functions."""
    imports = imports_of(PACKAGE / "classroom" / "worksheet.py")
    assert "derive.render.solution" in imports  # a deferred, relative import
    assert "derive.io.texrun" in imports


def test_every_package_says_what_it_owns_and_may_import():
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "import" in doc and len(doc) > 80, f"{init.parent.name}/__init__.py must say what it owns and may import"
