"""Templates from ``--template-dir`` are untrusted: Jinja's sandbox, no helper globals, nothing run or written."""

from __future__ import annotations

import pathlib
import uuid

import pytest

from derive.cli import main

# Known server-side template injection payloads, in derive's delimiters; {marker} is a file each would create.
PAYLOADS = {
    "subclasses": "((( ''.__class__.__mro__[1].__subclasses__() )))",
    "cycler_globals": "((( cycler.__init__.__globals__.os.popen('touch {marker}').read() )))",
    "joiner_globals": "((( joiner.__init__.__globals__.os.system('touch {marker}') )))",
    "namespace_globals": "((( namespace.__init__.__globals__.os.system('touch {marker}') )))",
    "lipsum_globals": "((( lipsum.__globals__['os'].system('touch {marker}') )))",
    "self_context": "((( self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch {marker}') )))",
    "self_alone": "((( self )))",
    "config": "((( config.items() )))",
    "getitem_dunder": "((( ''['__class__']['__mro__'] )))",
    "attr_filter": "((( ''|attr('__class__')|attr('__mro__') )))",
    "format_string": "((( '{0.__class__.__init__.__globals__}'.format(view) )))",
    "view_dict": "((( view.__dict__ )))",
    "builtins_via_globals": "((( view.__init__.__globals__['__builtins__']['open']('/etc/passwd').read() )))",
    "include_absolute": "((* include '/etc/passwd' *))",
    "import_absolute": "((* import '/etc/passwd' as p *))",
    "include_parent": "((* include '../../../../etc/passwd' *))",
    "mutating_a_list": "((* set l = [1] *))((( l.append(2) )))",
    "huge_power": "((( 2 ** 100000000 )))",
    "huge_repetition": "((( 'x' * 1000000000 )))",
    "range_bomb": "((( range(10**9)|list )))",
}


def hostile_folder(tmp_path: pathlib.Path, payload: str, marker: pathlib.Path, name: str) -> pathlib.Path:
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / name).write_text("line one\n" + payload.replace("{marker}", str(marker)) + "\n", encoding="utf-8")
    return folder


COMMANDS = {
    "solve_md": ("solution.md.j2", lambda d, out: ["solve", "2-2-2", "-f", "md", "-o", out / "s.md", "--template-dir", d]),
    "solve_tex": ("solution.tex.j2", lambda d, out: ["solve", "2-2-2", "-f", "tex", "-o", out / "s.tex",
                                                    "--template-dir", d]),
    "worksheet": ("worksheet.tex.j2", lambda d, out: ["worksheet", "2-2-2-exercise", "--seed", "1", "--out", out,
                                                      "--quiet", "--template-dir", d]),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_template_runs_nothing_and_writes_nothing(tmp_path, capsys, payload, command):
    marker = tmp_path / f"pwned-{uuid.uuid4().hex}"
    name, argv = COMMANDS[command]
    folder = hostile_folder(tmp_path, PAYLOADS[payload], marker, name)
    out = tmp_path / "out"
    out.mkdir()
    code = main([str(a) for a in argv(folder, out)])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"derive: error: template {folder / name}:2: "), captured.err
    assert "Traceback" not in captured.err and "root:" not in captured.err
    assert not marker.exists()
    assert sorted(p.name for p in out.iterdir()) == []


def test_a_template_from_elsewhere_still_renders_what_derive_passes_in(tmp_path, capsys):
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "solution.md.j2").write_text("School of ((( view.title ))): ((* for s in view.sections *))x((* endfor *))"
                                           "((* import '_prose.j2' as prose *))((( 'ok'|upper )))\n")
    assert main(["solve", "2-2-2", "-f", "md", "--template-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("School of Two inputs") and out.rstrip().endswith("OK")


def test_the_shipped_templates_render_the_same_inside_the_sandbox(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    for fmt in ("md", "tex"):
        assert main(["solve", "2-2-2", "-f", fmt, "--style", "delta"]) == 0
        plain = capsys.readouterr().out
        assert main(["solve", "2-2-2", "-f", fmt, "--style", "delta", "--template-dir", str(empty)]) == 0
        assert capsys.readouterr().out == plain


def test_a_template_with_a_syntax_error_is_one_line(tmp_path, capsys):
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "solution.md.j2").write_text("fine\n((( unclosed\n")
    assert main(["solve", "2-2-2", "-f", "md", "--template-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"derive: error: template {folder / 'solution.md.j2'}:2: ") and err.count("\n") == 1
