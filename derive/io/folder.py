"""A folder of outputs replaced as one: built in a hidden staging folder beside it, then swapped in.

A worksheet run writes dozens of files that belong together (the PDFs, their .tex and
``variants.json`` of one seed). Moving them in one by one would leave a mix of two runs when
the disk fills up or the user presses Ctrl-C half-way; so the new set is built in a staging
folder and the two folders are exchanged with one ``renameat2(RENAME_EXCHANGE)`` (two renames
where the kernel lacks it). Files in the folder that the run does not own (a teacher's notes)
are carried over into the new folder; files of the old run are gone with the old folder,
also those of variants the new run no longer has. Signals wait until the swap is done.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pathlib
import shutil
import signal
import tempfile
import threading

from ..errors import OutputError

__all__ = ["staged_folder", "uninterrupted"]

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def staged_folder(dest, *, owned, prefix: str = ".derive-"):
    """Yield an empty staging folder; when the block succeeds, it replaces ``dest`` as a whole.

    ``owned(name)`` says which entries of the old ``dest`` the run replaces; the others are
    moved into the new folder. If the block fails (or is interrupted), ``dest`` is untouched
    and the staging folder removed.

    >>> import tempfile, pathlib, shutil
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "out").mkdir(); _ = (root / "out" / "old.txt").write_text("old"); _ = (root / "out" / "mine").write_text("x")
    >>> with staged_folder(root / "out", owned=lambda name: name.endswith(".txt")) as staging:
    ...     _ = (staging / "new.txt").write_text("new")
    >>> sorted(p.name for p in (root / "out").iterdir()), sorted(p.name for p in root.iterdir())
    (['mine', 'new.txt'], ['out'])
    >>> shutil.rmtree(root)
    """
    dest = pathlib.Path(os.path.realpath(dest))
    parent = dest.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as exc:
        raise OutputError(f"{dest}: cannot create a folder beside it in {parent}: {exc.strerror or exc}") from exc
    try:
        yield staging
        os.chmod(staging, _folder_mode(dest))
        with uninterrupted():
            _swap_in(staging, dest, owned)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _folder_mode(dest: pathlib.Path) -> int:
    try:
        return dest.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o777 & ~umask


def _swap_in(staging: pathlib.Path, dest: pathlib.Path, owned) -> None:
    """Put ``staging`` at ``dest``; afterwards ``staging`` holds the old folder (or nothing)."""
    if not dest.is_dir():
        try:
            os.rename(staging, dest)
        except OSError as exc:
            raise OutputError(f"{dest}: cannot put the new files in place: {exc.strerror or exc}") from exc
        staging.mkdir()  # so the caller's cleanup has a folder to remove
        return
    carried = [entry for entry in os.listdir(dest) if not owned(entry) and not (staging / entry).exists()]
    moved = []
    try:
        for entry in carried:
            os.rename(dest / entry, staging / entry)
            moved.append(entry)
        _exchange(staging, dest)
    except OSError as exc:
        for entry in moved:  # the old folder as it was
            os.rename(staging / entry, dest / entry)
        raise OutputError(f"{dest}: cannot put the new files in place: {exc.strerror or exc}") from exc


def _exchange(a: pathlib.Path, b: pathlib.Path) -> None:
    """Exchange two folders atomically (Linux), else by two renames (a moment without ``b``)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        errno = ctypes.get_errno()
        if errno not in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot; rename instead
            raise OSError(errno, os.strerror(errno))
    old = a.with_name(a.name + "-old")
    os.rename(b, old)
    try:
        os.rename(a, b)
    except OSError:
        os.rename(old, b)
        raise
    os.rename(old, a)


@contextlib.contextmanager
def uninterrupted():
    """Hold SIGINT, SIGTERM and SIGHUP until the block is done, then deliver the first one.

    Only the main thread can set handlers; elsewhere the block runs as it is.

    >>> with uninterrupted():
    ...     done = True
    >>> done
    True
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def hold(signum, frame):
        pending.append(signum)

    old = {signum: signal.signal(signum, hold) for signum in _STOP_SIGNALS
           if signal.getsignal(signum) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)
        if pending:
            signal.raise_signal(pending[0])
