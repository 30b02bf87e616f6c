"""Online and mini-batch updates rendered: each update's worked solution in turn, then the final weights.

The updates come from :func:`derive.engine.updates.update_problems`; each is derived and viewed as
an ordinary one-step solution, and ``templates/updates.*.j2`` put them one after another.
"""

from __future__ import annotations

from .environment import render_template
from .solution import Solution
from .view import build_view


class UpdatesSolution(Solution):
    """A worked solution of several updates (``update: online`` or ``{batch_size: k}``).

    >>> import derive
    >>> spec = {"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}], "update": "online",
    ...         "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]}
    >>> solution = derive.solve(spec)
    >>> solution
    <Solution (online, 2 updates): scalar style, ... steps>
    >>> "# Update 2 (example 2)" in solution.markdown()
    True
    """

    def __init__(self, updates, derivations, **options):
        super().__init__(derivations[0], **options)
        self.updates = updates
        self.derivations = derivations

    @property
    def spec(self):
        return self.updates[0].problem.spec

    def _context(self, **extra) -> dict:
        spec = self.derivations[0].problem.spec
        full = self.updates[0]
        mode = "online" if all(len(u.examples) == 1 for u in self.updates) else "mini-batch"
        items = []
        for update, derivation in zip(self.updates, self.derivations):
            view = build_view(derivation, number_format=self.number_format, diagram_values=self.diagram_values)
            items.append({"number": update.number, "examples": list(update.examples), "view": view,
                          **({k: f(derivation) for k, f in extra.items()})})
        last = items[-1]["view"]["summary"]["rows"]
        return {"title": spec.title, "mode": mode, "batch_size": len(full.examples), "updates": items,
                "final": [{"name": row["param"], "value": row["updated"]} for row in last]}

    @property
    def _markdown(self) -> str:
        return render_template("md", "updates.md.j2", {**self._context(), "fragment": False}, self.template_dir)

    def latex(self, fragment: bool = False) -> str:
        return render_template("tex", "updates.tex.j2", {**self._context(), "fragment": fragment,
                                                         "show_diagram": True}, self.template_dir)

    def html(self, *, reveal: bool = False) -> str:
        from .html import render_page, render_solution_body

        def body(derivation):
            return render_solution_body(derivation, number_format=self.number_format, template_dir=self.template_dir)

        context = {**self._context(body=body), "reveal": False}
        return render_page("html/updates.html.j2", context, self.template_dir)

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_latex_(self) -> str:
        return self.latex(fragment=True)

    def __repr__(self) -> str:
        title = f" {self.derivation.statement.title!r}" if self.derivation.statement.title else ""
        steps = sum(len(list(d.steps())) for d in self.derivations)
        mode = "online" if all(len(u.examples) == 1 for u in self.updates) else "mini-batch"
        return f"<Solution{title} ({mode}, {len(self.updates)} updates): {self.derivation.style} style, {steps} steps>"
