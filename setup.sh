#!/usr/bin/env bash
# One-time set-up of a fresh machine: TeX Live, poppler and qpdf from Debian, derive and its test tools from PyPI.
set -euo pipefail
cd "$(dirname "$0")"

apt_packages=(texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures
              latexmk lmodern poppler-utils qpdf)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]"
# PyTorch is a test-only reference for the gradients; the CPU build of this pinned version is local.
python3 -c "import torch" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check "torch==2.13.0" \
  || echo "setup: PyTorch not installed; the PyTorch comparison tests will be skipped" >&2
