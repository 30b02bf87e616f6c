"""Tests for derive.io.output: checked, atomic writing of output files."""

from __future__ import annotations

import os
import stat

import pytest

from derive.io import output
from derive.errors import OutputError
from derive.io.output import check_output_path, move_atomic, write_atomic


def _leftovers(folder):
    """Temp files write_atomic may have left behind (there must be none)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- check_output_path -------------------------------------------------------------------------

def test_check_accepts_new_file(tmp_path):
    assert check_output_path(tmp_path / "out.pdf", force=False) == tmp_path / "out.pdf"


def test_check_accepts_str_path(tmp_path):
    assert check_output_path(str(tmp_path / "out.pdf"), force=False) == tmp_path / "out.pdf"


def test_check_refuses_directory(tmp_path):
    with pytest.raises(OutputError, match="is a directory") as info:
        check_output_path(tmp_path, force=True)
    assert str(tmp_path) in str(info.value)
    assert "\n" not in str(info.value)


def test_check_refuses_missing_folder(tmp_path):
    target = tmp_path / "nope" / "out.pdf"
    with pytest.raises(OutputError, match="does not exist") as info:
        check_output_path(target, force=False)
    assert str(target) in str(info.value)


def test_check_refuses_existing_without_force(tmp_path):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    with pytest.raises(OutputError, match=r"exists; pass force=True to overwrite") as info:
        check_output_path(target, force=False)
    assert str(target) in str(info.value)
    assert info.value.cli_message().endswith("exists; pass --force to overwrite")  # what the command line shows
    assert check_output_path(target, force=True) == target


@pytest.mark.parametrize("force", [False, True])
def test_check_refuses_dangling_symlink_with_or_without_force(tmp_path, force):
    link = tmp_path / "out.pdf"
    link.symlink_to(tmp_path / "missing")
    with pytest.raises(OutputError, match="is a link to nothing"):
        check_output_path(link, force=force)
    assert link.is_symlink() and not (tmp_path / "missing").exists()


def test_check_refuses_non_regular_file_even_with_force(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="not a regular file"):
        check_output_path(fifo, force=True)


def test_check_refuses_unwritable_folder_reported(tmp_path, monkeypatch):
    # Root can write anywhere, so simulate the permission check's answer as well.
    monkeypatch.setattr(output.os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match="is not writable"):
        check_output_path(tmp_path / "out.pdf", force=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_check_refuses_unwritable_folder_real(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="is not writable"):
            check_output_path(folder / "out.pdf", force=False)
    finally:
        folder.chmod(0o755)


# --- write_atomic ------------------------------------------------------------------------------

def test_write_str_is_utf8_with_lf_newlines(tmp_path):
    target = write_atomic(tmp_path / "a.md", "∂L/∂w\nnext\n", force=False)
    assert target.read_bytes() == "∂L/∂w\nnext\n".encode("utf-8")
    assert b"\r" not in target.read_bytes()


def test_write_bytes_exactly(tmp_path):
    data = bytes(range(256))
    assert write_atomic(tmp_path / "b.bin", data, force=False).read_bytes() == data


def test_write_new_file_mode_is_644(tmp_path):
    target = write_atomic(tmp_path / "a.txt", "x", force=False)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_write_keeps_existing_mode(tmp_path):
    target = tmp_path / "run.sh"
    target.write_text("old")
    target.chmod(0o751)
    write_atomic(target, "new", force=True)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o751


def test_write_without_force_leaves_existing_file(tmp_path):
    target = tmp_path / "a.txt"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="force=True"):
        write_atomic(target, "new", force=False)
    assert target.read_bytes() == b"precious"
    assert _leftovers(tmp_path) == []


def test_write_replaces_not_truncates(tmp_path):
    # A reader holding the old file keeps seeing the old content: the file was replaced, not rewritten.
    target = tmp_path / "a.txt"
    target.write_text("old content")
    with open(target) as reader:
        write_atomic(target, "new", force=True)
        assert reader.read() == "old content"
    assert target.read_text() == "new"


def test_write_uses_temp_file_in_same_folder(tmp_path, monkeypatch):
    seen = []
    real_mkstemp = output.tempfile.mkstemp

    def spy(**kwargs):
        seen.append(kwargs)
        return real_mkstemp(**kwargs)

    monkeypatch.setattr(output.tempfile, "mkstemp", spy)
    write_atomic(tmp_path / "a.txt", "x", force=False)
    assert seen == [{"dir": tmp_path, "prefix": ".a.txt.", "suffix": ".tmp"}]


def test_write_failure_removes_temp_file_and_keeps_old(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    target.write_text("old")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", broken_fsync)
    with pytest.raises(OutputError, match="No space left on device") as info:
        write_atomic(target, "new", force=True)
    assert str(target) in str(info.value)
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_write_interrupt_removes_temp_file(tmp_path, monkeypatch):
    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "a.txt", "x", force=True)
    assert list(tmp_path.iterdir()) == []


def test_write_does_not_clobber_file_created_after_check(tmp_path, monkeypatch):
    # The file appears between the up-front check and the rename: without force it must survive.
    target = tmp_path / "a.txt"
    real_fsync = output.os.fsync

    def racing_fsync(fd):
        real_fsync(fd)
        if not target.exists():
            target.write_text("someone else's")

    monkeypatch.setattr(output.os, "fsync", racing_fsync)
    with pytest.raises(OutputError, match="exists"):
        write_atomic(target, "mine", force=False)
    assert target.read_text() == "someone else's"
    assert _leftovers(tmp_path) == []


def test_write_into_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "a.txt", "x", force=True)


# --- move_atomic -------------------------------------------------------------------------------

def test_move_puts_file_in_place_and_removes_source(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    src = build / "doc.pdf"
    src.write_bytes(b"%PDF-1.5 data")
    dest = move_atomic(src, tmp_path / "out.pdf", force=False)
    assert dest.read_bytes() == b"%PDF-1.5 data"
    assert not src.exists()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o644
    assert _leftovers(tmp_path) == []


def test_move_without_force_keeps_dest_and_source(tmp_path):
    src = tmp_path / "new.pdf"
    src.write_bytes(b"new")
    dest = tmp_path / "out.pdf"
    dest.write_bytes(b"old")
    with pytest.raises(OutputError, match="force=True"):
        move_atomic(src, dest, force=False)
    assert dest.read_bytes() == b"old"
    assert src.read_bytes() == b"new"


def test_move_with_force_replaces(tmp_path):
    src = tmp_path / "new.pdf"
    src.write_bytes(b"new")
    dest = tmp_path / "out.pdf"
    dest.write_bytes(b"old")
    move_atomic(src, dest, force=True)
    assert dest.read_bytes() == b"new"


def test_move_missing_source_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        move_atomic(tmp_path / "missing.pdf", tmp_path / "out.pdf", force=False)
    assert list(tmp_path.iterdir()) == []
