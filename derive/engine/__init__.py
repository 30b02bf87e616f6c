"""Stage 2 of the flow: the mathematics, with no presentation.

Owns the named network (:mod:`.network`), activation and loss functions (:mod:`.functions`),
the symbolic chain rule (:mod:`.symbolic`, quantities in :mod:`.model`), exact numbers
(:mod:`.numeric`), the compiled gradients (:mod:`.compiled`: scalar, and :mod:`.vectorized`: NumPy), optimizers (:mod:`.optim`),
training (:mod:`.train`), the :class:`~derive.engine.problem.Problem` API (:mod:`.problem`)
and its JSON report (:mod:`.report`). May import ``derive.errors``, ``derive.io`` and
``derive.spec``; no LaTeX, Markdown or templates here.
"""
