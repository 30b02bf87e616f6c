"""The gallery: every built-in example's worked solution in every style, as Markdown and LaTeX.

Regenerate ``outputs/`` with::

    python -m derive.gallery            # writes outputs/<example>-<style>.md and .tex
    python -m derive.gallery --check    # exit 1 and name the files that are out of date

The tests compare these files byte for byte with a fresh rendering, so a change to the
engine, the printer or the templates shows up as a stale gallery until it is regenerated.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .spec.examples import example_names
from .steps import STYLES

FORMATS = ("md", "tex")
DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "outputs"


def gallery_entries() -> list[tuple[str, str, str]]:
    """(example, style, format) for every file of the gallery, in a fixed order.

    >>> gallery_entries()[:2]
    [('2-2-2', 'scalar', 'md'), ('2-2-2', 'scalar', 'tex')]
    """
    return [(example, style, fmt) for example in example_names() for style in STYLES for fmt in FORMATS]


def file_name(example: str, style: str, fmt: str) -> str:
    """The file of one gallery entry.

    >>> file_name("2-2-2", "scalar", "md")
    '2-2-2-scalar.md'
    """
    return f"{example}-{style}.{fmt}"


def render_gallery() -> dict[str, str]:
    """Every gallery file's name and text, rendered now (a few seconds).

    >>> file_name("2-2-1", "matrix", "tex") in {file_name(*entry) for entry in gallery_entries()}
    True
    """
    from .render.solution import solve

    files = {}
    for example in example_names():
        for style in STYLES:
            solution = solve(example, style=style)
            files[file_name(example, style, "md")] = solution.markdown()
            files[file_name(example, style, "tex")] = solution.latex()
    return files


def stale_files(folder: Path, files: dict[str, str]) -> list[str]:
    """The gallery files in ``folder`` that are missing or differ from ``files``.

    >>> import tempfile
    >>> stale_files(Path(tempfile.mkdtemp()), {"a.md": "text"})
    ['a.md']
    """
    stale = []
    for name, text in files.items():
        path = folder / name
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            stale.append(name)
    return stale


def write_gallery(folder: Path, files: dict[str, str]) -> list[str]:
    """Write the files that changed; return their names.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_gallery(folder, {"a.md": "text"}), write_gallery(folder, {"a.md": "text"})
    (['a.md'], [])
    """
    from .io.output import write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    changed = stale_files(folder, files)
    for name in changed:
        write_atomic(folder / name, files[name], force=True)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Regenerate (or, with ``--check``, check) the gallery; returns the exit code.

    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    parser = argparse.ArgumentParser(prog="python -m derive.gallery", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that are out of date (exit 1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_FOLDER, help=f"folder (default: {DEFAULT_FOLDER})")
    args = parser.parse_args(argv)
    files = render_gallery()
    if args.check:
        stale = stale_files(args.out, files)
        for name in stale:
            print(f"out of date: {args.out / name}", file=sys.stderr)
        return 1 if stale else 0
    changed = write_gallery(args.out, files)
    print(f"{len(files)} files in {args.out}, {len(changed)} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
