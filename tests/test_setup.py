"""setup.sh's Python part on the interpreters a newcomer has, and the tests without PyTorch.

setup.sh is run for real on a copy of this checkout (Debian packages skipped with
DERIVE_SETUP_APT=0, PyTorch with DERIVE_SETUP_TORCH=0): from an externally managed python3
(PEP 668, as Debian 12 and Ubuntu 24.04 ship it) and from a python3 without pip. Each run makes
.venv and installs derive and its dependencies into it, so these tests need the package index
setup.sh needs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEBIAN_PYTHON = Path("/usr/bin/python3")


def checkout_copy(target: Path) -> Path:
    """The checkout's files as git sees them (committed or not, ignored ones left out), copied."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: its files cannot be listed")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def fresh_env(**settings: str) -> dict[str, str]:
    """The environment without what points Python at this tree or at another environment."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **settings}


def run_setup(checkout: Path, python: Path, **settings: str) -> subprocess.CompletedProcess:
    env = fresh_env(**{"PYTHON": str(python), "DERIVE_SETUP_APT": "0", "DERIVE_SETUP_TORCH": "0", **settings})
    return subprocess.run(["bash", "setup.sh"], cwd=checkout, env=env, capture_output=True, text=True, timeout=900)


def assert_venv_runs_this_checkout(checkout: Path) -> None:
    venv = checkout / ".venv" / "bin"
    where = subprocess.run([venv / "python", "-c", "import derive; print(derive.__file__)"], cwd="/",
                           env=fresh_env(), capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()) == checkout / "derive" / "__init__.py"
    solved = subprocess.run([venv / "derive", "solve", "2-2-1", "-f", "md", "--only", "w5"], cwd=checkout,
                            env=fresh_env(), capture_output=True, text=True)
    assert solved.returncode == 0 and "w_{5}" in solved.stdout, solved.stderr
    tools = subprocess.run([venv / "python", "-c", "import pytest, hypothesis, numpy"], env=fresh_env(),
                           capture_output=True, text=True)
    assert tools.returncode == 0, tools.stderr


def externally_managed(python: Path) -> bool:
    stdlib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                            capture_output=True, text=True).stdout.strip()
    return bool(stdlib) and (Path(stdlib) / "EXTERNALLY-MANAGED").is_file()


@pytest.mark.skipif(not DEBIAN_PYTHON.exists() or not externally_managed(DEBIAN_PYTHON),
                    reason="no externally managed /usr/bin/python3 (Debian's or Ubuntu's) on this machine")
def test_setup_with_an_externally_managed_python(tmp_path):
    refused = subprocess.run([DEBIAN_PYTHON, "-m", "pip", "install", "--dry-run", "--no-deps", "pyyaml"],
                             capture_output=True, text=True)
    if "No module named pip" not in refused.stderr:  # with pip, it refuses to install: what setup.sh avoids
        assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr
    if subprocess.run([DEBIAN_PYTHON, "-c", "import ensurepip"], capture_output=True).returncode:
        pytest.skip("python3-venv is not installed (setup.sh installs it unless DERIVE_SETUP_APT=0)")
    checkout = checkout_copy(tmp_path)
    done = run_setup(checkout, DEBIAN_PYTHON)
    assert done.returncode == 0, done.stderr
    assert_venv_runs_this_checkout(checkout)


def test_setup_with_a_python_without_pip(tmp_path):
    base = tmp_path / "no-pip"  # an interpreter with no pip module at all
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", base], check=True, timeout=120)
    python = base / "bin" / "python"
    assert subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode != 0
    checkout = checkout_copy(tmp_path / "checkout")
    done = run_setup(checkout, python)
    assert done.returncode == 0, done.stderr
    assert_venv_runs_this_checkout(checkout)
    # A second run keeps the environment; here PyTorch's CPU build cannot be had (a constraint rules
    # every version of it out), and set-up still succeeds, saying the comparisons will be skipped.
    no_torch = tmp_path / "no-torch.txt"
    no_torch.write_text("torch==0.0.0\n")
    again = run_setup(checkout, python, DERIVE_SETUP_TORCH="1", PIP_CONSTRAINT=str(no_torch))
    assert again.returncode == 0, again.stderr
    assert "the CPU build of PyTorch 2.13.0 could not be installed" in again.stderr
    assert "skip their comparisons with PyTorch" in again.stderr
    assert_venv_runs_this_checkout(checkout)


def test_setup_refuses_an_old_python_clearly(tmp_path):
    old = tmp_path / "python3.9"  # an interpreter that reports an old version
    old.write_text("#!/bin/sh\ncase \"$*\" in *version_info*) exit 1;; -V) echo 'Python 3.9.2';; esac\nexit 0\n")
    old.chmod(0o755)
    checkout = checkout_copy(tmp_path / "checkout")
    done = run_setup(checkout, old)
    assert done.returncode == 1 and "needs Python 3.11 or newer" in done.stderr and "Python 3.9.2" in done.stderr
    assert not (checkout / ".venv").exists()


def test_without_torch_the_comparisons_skip_saying_why():
    """The PyTorch comparisons are skipped with a reason where torch cannot be imported; the rest runs."""
    hide_torch = ("import sys; sys.modules['torch'] = None; import pytest; "
                  "sys.exit(pytest.main(['-p', 'no:cacheprovider', '-rs', '-k', sys.argv[1], *sys.argv[2:]]))")
    chosen = "pytorch or 3333_correct or run_all_quick or exact_steps_agree_with_the_float_loop"
    files = ["tests/test_train.py", "tests/test_check.py", "tests/test_benchmarks.py", "tests/test_optim.py",
             "tests/test_reference.py", "tests/test_gradients.py", "tests/test_optim_random.py"]
    done = subprocess.run([sys.executable, "-c", hide_torch, chosen, *files], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "PyTorch is not installed" in done.stdout and "the comparison with PyTorch is skipped" in done.stdout
    assert re.search(r"\b\d+ passed, \d+ skipped", done.stdout), done.stdout[-500:]  # the rest still ran
