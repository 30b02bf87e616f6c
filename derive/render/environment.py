"""The Jinja2 environment: TeX-safe delimiters, strict undefined, escaping in ``finalize``.

Delimiters as nbconvert's LaTeX templates use them, so that no TeX brace or percent sign can
be mistaken for template syntax: ``((* block *))``, ``((( variable )))``, ``((= comment =))``.
Templates ship inside the package as ``derive.templates`` (the repository's ``templates/``
folder); ``template_dir`` puts a folder of the user's in front of them, so a single partial
can be overridden.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
from pylatex.utils import NoEscape

from ..errors import RenderError, keyword
from .escape import finalize_latex, finalize_markdown

_FINALIZE = {"md": finalize_markdown, "tex": finalize_latex}


def template_folder() -> Path:
    """Where the shipped templates are: the source tree beside this package, else inside the installed package.

    >>> (template_folder() / "solution.md.j2").is_file()
    True
    """
    # A checkout's own templates come first, so a second work tree never renders another's.
    source_tree = Path(__file__).resolve().parents[2] / "templates"
    if (source_tree / "solution.md.j2").is_file():
        return source_tree
    from importlib import resources

    return Path(str(resources.files("derive.templates")))


def make_environment(kind: str, template_dir=None) -> jinja2.Environment:
    """A Jinja2 environment for ``kind`` ("md" or "tex").

    >>> env = make_environment("tex")
    >>> env.from_string("((( x ))) ((( y|trusted )))").render(x="50%", y=r"\\alpha")
    '50\\\\% \\\\alpha'
    """
    if kind not in _FINALIZE:
        raise RenderError(f"no templates for format {kind!r}")
    search = [str(template_folder())]
    if template_dir is not None:
        folder = Path(template_dir)
        if not folder.is_dir():
            raise RenderError(f"{keyword('template_dir')} must be a folder of templates; got {template_dir}")
        search.insert(0, str(folder))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        line_statement_prefix=None, line_comment_prefix=None,
        undefined=jinja2.StrictUndefined, autoescape=False, finalize=_FINALIZE[kind],
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["trusted"] = _trusted
    env.filters["eq"] = _equation_number
    return env


@lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs, as Python keeps ``.pyc`` files.

    Compiling the templates takes longer than the rest of ``derive solve`` on a small network.
    Jinja's default folder is private to the user (created 0700, its owner checked) and an
    entry is only used while its template's source is unchanged. No usable folder: no cache.
    """
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


@lru_cache(maxsize=8)
def _cached_environment(kind: str, template_dir: str | None) -> jinja2.Environment:
    # One environment per kind and folder, so each template is compiled (or loaded) once per process.
    return make_environment(kind, template_dir)


def _equation_number(number) -> NoEscape:
    """An equation number as the text cites it: (7)."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise RenderError(f"an equation number must be a whole number; got {number!r}")
    return NoEscape(f"({number})")


def _trusted(text) -> NoEscape:
    """Mark a macro's output as already rendered (its own variables were escaped inside it)."""
    return NoEscape(str(text))


def render_template(kind: str, name: str, context: dict, template_dir=None) -> str:
    """Render template ``name`` with ``context``; a template error becomes a :class:`RenderError`.

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> from derive.render.view import build_view
    >>> text = render_template("md", "solution.md.j2", {"view": build_view(derive_steps(derive.load("2-2-1"))),
    ...                                                  "fragment": False})
    >>> text.startswith("# ")
    True
    """
    env = _cached_environment(kind, None if template_dir is None else str(template_dir))
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as err:
        raise RenderError(f"template not found: {err.name}") from None
    except jinja2.UndefinedError as err:
        raise RenderError(f"template {name}: {err.message}") from None
    except jinja2.TemplateSyntaxError as err:
        raise RenderError(f"template {err.filename or name}:{err.lineno}: {err.message}") from None
