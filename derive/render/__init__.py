"""Rendering: one derivation (``derive.steps``) printed as Markdown or LaTeX.

``latex`` holds the one SymPy printer, ``numbers`` the one number formatter, ``escape`` the one
place where user text is escaped, ``view`` turns a derivation into what templates print, and
``environment`` loads the Jinja2 templates of ``templates/`` (``markdown`` and ``tex`` use them);
``solution`` is :func:`derive.solve` (a derivation and its Markdown, LaTeX and PDF), ``training``
and ``check_report`` print a training run and a check report. Stage 5 of the flow: may import
``derive.errors``, ``derive.io``, ``derive.spec``, ``derive.engine`` and ``derive.steps``.
"""
