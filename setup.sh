#!/usr/bin/env bash
# One-time set-up of a fresh machine (Debian 12, Ubuntu 24.04, or any Debian with Python 3.11+):
# TeX Live, poppler and Python's venv from Debian's packages; then a virtual environment in .venv
# (inside this checkout) with derive installed from this checkout and its dependencies and test
# tools from PyPI. Nothing is installed into the system's Python, so an externally managed
# python3 (PEP 668) or one without pip is fine. Run it again at any time: it only adds what is missing.
#
# Settings (environment variables):
#   PYTHON=python3.12       the interpreter .venv is made from (default: python3)
#   DERIVE_SETUP_APT=0      install no Debian packages (they are there already, or you have no root)
#   DERIVE_SETUP_TORCH=0    no PyTorch (the tests then skip their comparisons with it, saying so)
set -euo pipefail
cd "$(dirname "$0")"

python=${PYTHON:-python3}
venv=.venv
torch_version=2.13.0

# ---- Debian packages (one per line, so the list is easy to extend)
apt_packages=(
  texlive-latex-base
  texlive-latex-recommended
  texlive-latex-extra
  texlive-pictures
  latexmk
  lmodern
  poppler-utils
  qpdf                  # worksheets: one TeX run for a whole class, cut into each student's PDFs
  chromium              # the HTML pages are tested in a real browser
  chromium-driver
  texlive-xetex         # nbconvert's PDF export of a notebook (xelatex, its fonts, pandoc)
  texlive-fonts-recommended
  texlive-plain-generic
  texlive-lang-german   # German and Spanish documents (--lang de|es): their hyphenation patterns
  texlive-lang-spanish
  pandoc
)
if ! command -v "$python" >/dev/null; then
  apt_packages+=(python3)
fi
if ! "$python" -c "import venv, ensurepip" 2>/dev/null; then
  apt_packages+=(python3-venv)  # Debian and Ubuntu ship venv's pip bootstrap (ensurepip) apart from python3
fi

if [ "${DERIVE_SETUP_APT:-1}" != 0 ]; then
  missing=()
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# ---- the virtual environment
if ! "$python" -c "import sys; sys.exit(sys.version_info < (3, 11))"; then
  echo "setup: derive needs Python 3.11 or newer; $python is $("$python" -V 2>&1). Set PYTHON=python3.X" >&2
  exit 1
fi
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  "$python" -m venv --clear "$venv"  # missing or broken: made afresh
fi
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
# derive from this checkout (editable: the checkout's code runs), its dependencies and test tools from PyPI
"${pip[@]}" -e ".[test]"

# ---- PyTorch: only the tests' reference for the gradients, so the CPU build, never the CUDA one.
# PyTorch's own CPU index serves it as torch==X+cpu; pip's configured indexes and --find-links
# (pip.conf, PIP_* variables) still apply inside the venv, so a local copy of that wheel is found too.
if [ "${DERIVE_SETUP_TORCH:-1}" != 0 ] && ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  "${pip[@]}" --retries 1 --extra-index-url https://download.pytorch.org/whl/cpu "torch==$torch_version+cpu" \
    || echo "setup: the CPU build of PyTorch $torch_version could not be installed; the tests will skip" \
            "their comparisons with PyTorch" >&2
fi
