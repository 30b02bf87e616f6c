"""Rendering: one derivation (``derive.steps``) printed as Markdown, LaTeX or HTML.

``latex`` holds the one SymPy printer, ``numbers`` the one number formatter, ``escape`` the one
place where user text is escaped, ``view`` turns a derivation into what templates print, and
``environment`` loads the Jinja2 templates of ``templates/`` (``markdown`` and ``tex`` use them);
``html`` makes self-contained pages (math as MathML through ``mathml``), ``jupyter`` the
notebook displays; ``solution`` is :func:`derive.solve` (a derivation and its Markdown, LaTeX,
HTML and PDF), ``training`` and ``check_report`` print a training run and a check report.
Stage 5 of the flow: may import ``derive.errors``, ``derive.io``, ``derive.spec``,
``derive.engine`` and ``derive.steps``.
"""
