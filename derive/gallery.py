"""The gallery: every built-in example's worked solution in every style, as Markdown, LaTeX and HTML.

Regenerate ``outputs/`` with::

    python -m derive.gallery            # writes outputs/<example>-<style>.md, .tex and .html,
                                        # and screenshots of a few pages in outputs/screenshots/
    python -m derive.gallery --check    # exit 1 and name the files that are out of date

The tests compare these files byte for byte with a fresh rendering, so a change to the
engine, the printer or the templates shows up as a stale gallery until it is regenerated.
The screenshots (headless Chromium) are for a reader of the repository, never compared: a
browser or font update would change their pixels without anything being wrong.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .spec.examples import example_names
from .steps import STYLES

FORMATS = ("md", "tex", "html")
# (page, width, height, file): a desktop and a phone view of the classic network, and a matrix one.
SCREENSHOTS = (("2-2-2-scalar.html", 1000, 1500, "2-2-2-scalar.png"),
               ("2-2-2-delta.html", 375, 812, "2-2-2-delta-phone.png"),
               ("3-3-3-3-matrix.html", 1000, 1500, "3-3-3-3-matrix.png"))
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")
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
            files[file_name(example, style, "html")] = solution.html()
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


def find_chromium() -> str | None:
    """The headless browser the screenshots are taken with (Debian's ``chromium``), if installed.

    >>> find_chromium() is None or find_chromium().endswith("chromium")
    True
    """
    return shutil.which("chromium")


def take_screenshots(folder: Path, chromium: str) -> list[Path]:
    """Screenshots of :data:`SCREENSHOTS`, from the HTML pages in ``folder``, into ``folder/screenshots``.

    >>> take_screenshots(Path(tempfile.mkdtemp()), "chromium")  # no pages there, nothing to take
    []
    """
    from .io.output import move_atomic

    target = folder / "screenshots"
    taken = []
    for page, width, height, name in SCREENSHOTS:
        if not (folder / page).is_file():
            continue
        target.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="derive-gallery-") as scratch:
            png = Path(scratch) / name
            subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={scratch}/profile",
                            f"--window-size={width},{height}", f"--screenshot={png}", (folder / page).resolve().as_uri()],
                           check=True, capture_output=True, timeout=120)
            move_atomic(png, target / name, force=True)
        taken.append(target / name)
    return taken


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
    chromium = find_chromium()
    if chromium is None:
        print("no chromium: screenshots not taken (setup.sh installs it)", file=sys.stderr)
    else:
        print(f"{len(take_screenshots(args.out, chromium))} screenshots in {args.out / 'screenshots'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
