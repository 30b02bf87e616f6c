"""The Jinja2 environment: TeX-safe delimiters, strict undefined, escaping in ``finalize``.

Delimiters as nbconvert's LaTeX templates use them, so that no TeX brace or percent sign can
be mistaken for template syntax: ``((* block *))``, ``((( variable )))``, ``((= comment =))``.
Templates ship inside the package as ``derive.templates`` (the repository's ``templates/``
folder); ``template_dir`` puts a folder of the user's in front of them, so a single partial
can be overridden. Such a folder is untrusted input, like a spec: its environment is Jinja's
immutable sandbox without Jinja's extra globals, and a template naming one of :data:`FORBIDDEN`
is refused when it is compiled, before anything is rendered.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
import jinja2.sandbox
from jinja2 import nodes
from pylatex.utils import NoEscape

from ..errors import RenderError, keyword
from .escape import finalize_html, finalize_latex, finalize_markdown

_FINALIZE = {"md": finalize_markdown, "tex": finalize_latex, "html": finalize_html}
# Names a template from elsewhere may not use: Jinja's helper globals (their functions carry
# ``__globals__``), the template's own reference and Flask's/Django's usual ways in.
FORBIDDEN = frozenset({"cycler", "joiner", "namespace", "lipsum", "self", "config", "request", "os",
                       "range", "dict"})
# The templates' translation functions (``_("...")``, ``((* trans *))``): ours, safe in the sandbox.
TRANSLATION_NAMES = frozenset({"_", "gettext", "ngettext"})


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


def make_environment(kind: str, template_dir=None, lang: str = "en") -> jinja2.Environment:
    """A Jinja2 environment for ``kind`` ("md", "tex" or "html") printing sentences in ``lang``.

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
    options = dict(
        loader=jinja2.FileSystemLoader(search),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        line_statement_prefix=None, line_comment_prefix=None,
        undefined=jinja2.StrictUndefined, autoescape=False, finalize=_FINALIZE[kind],
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    if template_dir is None:
        env = jinja2.Environment(**options, bytecode_cache=_bytecode_cache())
    else:
        # No bytecode cache: its entries are keyed by template name and source only, and code
        # compiled outside the sandbox calls functions without the sandbox's checks.
        env = _Sandbox(**options)
        env.globals.clear()
    _install_translations(env, kind, lang)
    env.filters["trusted"] = _trusted
    env.filters["eq"] = _equation_reference
    env.filters["num"] = _number_text
    if kind == "html":
        from .mathml import inline_math, math_chain, text_with_math

        env.filters.update(eq=_equation_link, math=inline_math, chain=math_chain, prose=text_with_math)
        env.globals["id_prefix"] = ""  # a page of several worked solutions gives each its own, so ids stay unique
    return env


class _Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """The sandbox, also refusing at compile time every template that names one of :data:`FORBIDDEN`."""

    # Powers and repetitions are where a one-line template could ask for gigabytes.
    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and _too_big_power(left, right):
            raise jinja2.sandbox.SecurityError(f"{left!r} ** {right!r} is too large for a template")
        if operator == "*" and _too_long_repeat(left, right):
            raise jinja2.sandbox.SecurityError("a repetition that long is too large for a template")
        return super().call_binop(context, operator, left, right)

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        for node in tree.find_all((nodes.Name, nodes.Getattr)):
            used = node.name if isinstance(node, nodes.Name) else node.attr
            if used in TRANSLATION_NAMES and isinstance(node, nodes.Name):
                continue
            if used in FORBIDDEN or used.startswith("_"):
                raise jinja2.TemplateSyntaxError(f"{used!r} is not available to a template from a template folder",
                                                 node.lineno, name, filename)
        return tree


def _too_big_power(base, exponent) -> bool:
    return isinstance(exponent, (int, float)) and abs(exponent) > 64 and not -1 <= base <= 1


def _too_long_repeat(left, right) -> bool:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and len(seq) * count > 1_000_000:
            return True
    return False


# Compiled code fixes whether a filter is passed the context; change this when a filter's arguments do,
# so that entries compiled for the old filters (same template source) are not used.
_COMPILED_FOR = "filters v2: eq takes the context"


class _QuietCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache, skipped when its folder cannot be read or written (a full disk, a lost folder)."""

    def get_source_checksum(self, source: str) -> str:
        return super().get_source_checksum(f"{_COMPILED_FOR}\n{source}")

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError):
            bucket.reset()  # compiled afresh, as with no cache

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass  # the next run compiles again; the output does not depend on the cache


@lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs, as Python keeps ``.pyc`` files.

    Compiling the templates takes longer than the rest of ``derive solve`` on a small network.
    Jinja's default folder is private to the user (created 0700, its owner checked) and an
    entry is only used while its template's source is unchanged. No usable folder: no cache.
    """
    try:
        return _QuietCache()
    except (OSError, RuntimeError):
        return None


@lru_cache(maxsize=16)
def _cached_environment(kind: str, template_dir: str | None, lang: str = "en") -> jinja2.Environment:
    # One environment per kind, folder and language, so each template is compiled (or loaded) once per process.
    return make_environment(kind, template_dir, lang)


def _install_translations(env: jinja2.Environment, kind: str, lang: str) -> None:
    """``_``, ``gettext`` and ``ngettext`` for the templates: the catalog's sentence, trusted like the
    template's own text, with each placeholder's value escaped as any printed value is."""
    from .language import babel_preamble, gettext, language, ngettext

    finalize = _FINALIZE[kind]

    def escaped(values: dict) -> dict:
        return {name: finalize(value) for name, value in values.items()}

    def template_gettext(message: str, **values) -> NoEscape:
        with language(lang):
            return NoEscape(gettext(message, **escaped(values)))

    def template_ngettext(singular: str, plural: str, n, **values) -> NoEscape:
        with language(lang):
            return NoEscape(ngettext(singular, plural, n, **escaped(values)))

    env.newstyle_gettext = True  # the functions fill the placeholders themselves
    env.policies["ext.i18n.trimmed"] = True
    env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext,
                       lang=lang, babel_preamble=lambda: NoEscape(babel_preamble(lang)))


def _number_text(text) -> NoEscape:
    """A number's plain text with the document language's decimal mark (0,5 in German)."""
    from .language import localize_number

    return NoEscape(localize_number(text))


def _equation_number(number) -> NoEscape:
    """An equation number as the text cites it: (7)."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise RenderError(f"an equation number must be a whole number; got {number!r}")
    return NoEscape(f"({number})")


@jinja2.pass_context
def _equation_reference(context, number) -> NoEscape:
    """An equation number as Markdown and LaTeX cite it; takes the context as :func:`_equation_link` does
    (Jinja fixes a filter's arguments when it compiles, and the compiled templates are shared by every kind)."""
    return _equation_number(number)


@jinja2.pass_context
def _equation_link(context, number) -> NoEscape:
    """An equation number as an HTML page cites it: a link to the equation (ids prefixed by ``id_prefix``)."""
    text = _equation_number(number)
    prefix = context.get("id_prefix") or ""
    return NoEscape(f'<a class="eqref" href="#{prefix}eq-{number}">{text}</a>')


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
    from .language import current_language

    env = _cached_environment(kind, None if template_dir is None else str(template_dir), current_language())
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as err:
        where = _where(err, "")
        raise RenderError(f"template {where}: " * bool(where) + f"template not found: {err.name}") from None
    except jinja2.TemplateSyntaxError as err:
        raise RenderError(f"template {err.filename or name}:{err.lineno}: {err.message}") from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError,
            RecursionError) as err:
        # A template's own mistake (or a sandbox refusal): one line naming the file and line.
        raise RenderError(f"template {_where(err, name)}: {_message(err)}") from None


def _message(err: Exception) -> str:
    text = getattr(err, "message", None) or str(err) or type(err).__name__
    return " ".join(str(text).split())[:300]


def _where(err: Exception, name: str) -> str:
    """``file:line`` of the innermost template frame of ``err``'s traceback (Jinja rewrites them so)."""
    import traceback

    frames = [frame for frame in traceback.extract_tb(err.__traceback__)
              if frame.filename.endswith(".j2") or frame.filename == "<template>"]
    if not frames:
        return name
    return f"{frames[-1].filename}:{frames[-1].lineno}"
