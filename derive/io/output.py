"""Safe writing of every output file ``derive`` produces.

Every file is written to a temporary file in the *same* folder as its final
path, flushed to disk and then renamed into place with :func:`os.replace`.
A reader (or a crash) therefore sees either the old file or the complete new
one, never a half-written file. Paths are checked before any work is done, so
a bad ``--output`` fails in a second instead of after a long render.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import stat
import tempfile

from ..errors import OutputError, keyword

__all__ = ["check_output_path", "check_not_input", "format_from_suffix", "refuse_system_path", "write_atomic",
           "move_atomic"]

_NEW_FILE_MODE = 0o644
_SYSTEM_FOLDERS = ("dev", "proc", "sys")
_NAME_MAX = 255  # bytes in one file name on every file system derive is likely to write

# Each suffix names one kind of output; "text" is a plain-text report (train's table, check's text).
FORMAT_SUFFIXES = {".json": "json", ".md": "md", ".markdown": "md", ".tex": "tex", ".pdf": "pdf", ".html": "html",
                   ".htm": "html", ".txt": "text"}


def format_from_suffix(path, formats, *, text: str | None = None, way_out: str = "or give --format") -> str:
    """The format among ``formats`` that ``path``'s suffix names (``.txt`` names ``text``); refused otherwise.

    >>> format_from_suffix("w.Markdown", ("md", "tex", "pdf"))
    'md'
    >>> format_from_suffix("run.txt", ("table", "json"), text="table")
    'table'
    >>> format_from_suffix("out.docx", ("json", "pdf"))
    Traceback (most recent call last):
    ...
    derive.errors.OutputError: out.docx: the format is picked from the suffix, one of .json (json), .pdf (pdf), or give --format; got '.docx'
    """
    known = {suffix: (text if kind == "text" else kind) for suffix, kind in FORMAT_SUFFIXES.items()}
    known = {suffix: fmt for suffix, fmt in known.items() if fmt in formats}
    suffix = pathlib.Path(path).suffix
    if suffix.lower() not in known:
        allowed = ", ".join(f"{s} ({f})" for s, f in known.items())
        got = repr(suffix) if suffix else "no suffix"
        raise OutputError(f"{path}: the format is picked from the suffix, one of {allowed}, {way_out}; got {got}")
    return known[suffix.lower()]


def check_output_path(path, *, force: bool) -> pathlib.Path:
    """Refuse, with one clear line naming ``path``, an output path that cannot be written.

    Refused: a directory, a path whose folder does not exist or is not writable,
    something that is not a regular file, and an existing file unless ``force``.

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_path(folder / "new.pdf", force=False).name
    'new.pdf'
    >>> check_output_path(folder, force=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    derive.errors.OutputError: ...: is a directory, not a file
    >>> shutil.rmtree(folder)
    """
    try:
        return _checked(pathlib.Path(path), force=force)
    except OSError as exc:  # a name too long, a loop of links, a folder that cannot be searched
        raise OutputError(f"{_shown(path)}: cannot be written: {exc.strerror or exc}") from None


def _checked(path: pathlib.Path, *, force: bool) -> pathlib.Path:
    refuse_system_path(path)
    if path.is_symlink():
        _check_link(path, force=force)
        return path
    if path.is_dir():
        raise OutputError(f"{path}: is a directory, not a file")
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"{path}: folder {folder} does not exist")
    # The temp file is created in the folder, so the folder itself must be writable
    # (a writable existing file in a read-only folder is not enough).
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: folder {folder} is not writable")
    if len(os.fsencode(path.name)) > _NAME_MAX - 16:  # room for the temp file's prefix and suffix
        raise OutputError(f"{_shown(path)}: the file name is longer than {_NAME_MAX - 16} bytes")
    if os.path.lexists(path):
        if not force:
            raise OutputError(f"{path}: exists; pass {keyword('force', True)} to overwrite")
        # Never "overwrite" a device, FIFO or socket (think /dev/null as root).
        if not stat.S_ISREG(path.stat().st_mode):
            raise OutputError(f"{path}: exists and is not a regular file")
    return path


def refuse_system_path(path) -> None:
    """/dev, /proc and /sys hold devices and the kernel's links (/dev/stdout), never an output.

    >>> refuse_system_path("/dev/stdout")
    Traceback (most recent call last):
    ...
    derive.errors.OutputError: /dev/stdout: is a system path (/dev/stdout); write to a regular file, or leave out -o for standard output
    """
    for candidate in (pathlib.Path(os.path.abspath(path)), pathlib.Path(os.path.realpath(path))):
        if candidate.parts[1:2] and candidate.parts[1] in _SYSTEM_FOLDERS:
            raise OutputError(f"{path}: is a system path ({candidate}); write to a regular file, "
                              "or leave out -o for standard output")


def _check_link(link: pathlib.Path, *, force: bool) -> None:
    """A link is replaced (by the new file; its target is left alone) only if it names a regular file one may write.

    A dangling link, or one to a folder or device, is not a file the user meant to replace.
    """
    target = pathlib.Path(os.path.realpath(link))
    if not os.path.exists(link):
        raise OutputError(f"{link}: is a link to nothing ({target}); give a regular file as the output")
    if not stat.S_ISREG(target.stat().st_mode) or not os.access(target, os.W_OK):
        raise OutputError(f"{link}: is a link to {target}, not a regular file you may write; "
                          "give a regular file as the output")
    if not os.access(link.parent, os.W_OK | os.X_OK):
        raise OutputError(f"{link}: folder {link.parent} is not writable")
    if not force:
        raise OutputError(f"{link}: exists (a link to {target}); pass {keyword('force', True)} to replace the link "
                          "by the output")


def _shown(path) -> str:
    """A path as an error message shows it: a very long one shortened in the middle."""
    text = str(path)
    return text if len(text) <= 120 else f"{text[:60]}...{text[-40:]}"


def check_not_input(output, *inputs) -> None:
    """Refuse an output that is one of the inputs (the same file, also through links), even with --force.

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "net.yaml").write_text("x")
    >>> check_not_input(folder / "net.yaml", "2-2-2", folder / "net.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    derive.errors.OutputError: ...net.yaml: is also an input; write the output to another file
    >>> shutil.rmtree(folder)
    """
    if output is None:
        return
    for source in inputs:
        try:
            same = os.path.samefile(output, source)
        except (OSError, TypeError, ValueError):
            continue  # one of them is not a file (a built-in example's name, a new output)
        if same:
            raise OutputError(f"{output}: is also an input; write the output to another file")


def write_atomic(path, data: bytes | str, *, force: bool) -> pathlib.Path:
    """Write ``data`` to ``path`` atomically; ``str`` is written as UTF-8 with ``\\n`` newlines.

    An existing file keeps its permission bits; a new one gets 0o644.

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "a.md", "x = 1\\n", force=False).read_bytes()
    b'x = 1\\n'
    >>> write_atomic(folder / "a.md", "again", force=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    derive.errors.OutputError: ...a.md: exists; pass force=True to overwrite
    >>> write_atomic(folder / "a.md", b"again", force=True).read_text()
    'again'
    >>> shutil.rmtree(folder)
    """
    path = check_output_path(path, force=force)
    # Encoding ourselves (not text mode) means no platform newline translation.
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)

    def fill(out):
        out.write(payload)

    return _write_via_temp(path, fill, force=force)


def move_atomic(src, dest, *, force: bool) -> pathlib.Path:
    """Move the finished file ``src`` (e.g. a PDF built in a temp folder) atomically to ``dest``.

    The bytes are copied into a temp file next to ``dest`` (``src`` may be on
    another file system, where a rename would fail or not be atomic), synced,
    renamed into place, and only then is ``src`` removed.

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> src = folder / "build.pdf"
    >>> _ = src.write_bytes(b"%PDF-1.5")
    >>> move_atomic(src, folder / "out.pdf", force=False).read_bytes(), src.exists()
    (b'%PDF-1.5', False)
    >>> shutil.rmtree(folder)
    """
    src = pathlib.Path(src)
    dest = check_output_path(dest, force=force)
    # Opened before any temp file exists: a missing src is the caller's bug, not an output problem.
    with open(src, "rb") as source:
        def fill(out):
            shutil.copyfileobj(source, out)

        _write_via_temp(dest, fill, force=force)
    src.unlink()
    return dest


def _write_via_temp(path: pathlib.Path, fill, *, force: bool) -> pathlib.Path:
    """Create a temp file beside ``path``, let ``fill(file)`` write it, sync, and put it in place."""
    folder = path.parent
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot create a file in {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, mode)
        _put_in_place(tmp_name, path, force=force)
    except BaseException as exc:
        # Whatever went wrong (disk full, Ctrl-C), leave no stray temp file behind.
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        raise
    _sync_folder(folder)
    return path


def _put_in_place(tmp_name: str, path: pathlib.Path, *, force: bool) -> None:
    if force:
        os.replace(tmp_name, path)
        return
    # Without force, a file that appeared since the check must not be clobbered:
    # link() fails if the name exists, and is just as atomic as replace().
    try:
        os.link(tmp_name, path)
    except FileExistsError:
        raise OutputError(f"{path}: exists; pass {keyword('force', True)} to overwrite") from None
    except OSError:
        # File systems without hard links: fall back to check-then-replace.
        if os.path.lexists(path):
            raise OutputError(f"{path}: exists; pass {keyword('force', True)} to overwrite") from None
        os.replace(tmp_name, path)
        return
    os.unlink(tmp_name)


def _sync_folder(folder: pathlib.Path) -> None:
    """Make the rename itself durable; best effort (not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
