#!/usr/bin/env bash
# Make sure a Python with the CPU job dependencies and Jupyter (for headless notebooks) exists.
# Prints the interpreter to use. PYTHON=... overrides. Installs Debian packages when they are
# missing and we run as root (this machine kind: no PyPI, Debian's python3-torch is the CPU torch).
set -euo pipefail
need_mods="numpy torch sklearn nbclient nbformat ipykernel"
check() { "$1" -c "import $(echo $need_mods | tr ' ' ',')" >/dev/null 2>&1; }

if [ -n "${PYTHON:-}" ]; then
  if check "$PYTHON"; then echo "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON cannot import: $need_mods (install them into that interpreter)" >&2
  exit 1
fi
for cand in /usr/bin/python3 python3; do
  if command -v "$cand" >/dev/null 2>&1 && check "$cand"; then command -v "$cand"; exit 0; fi
done
pkgs="python3-numpy python3-torch python3-sklearn python3-scipy python3-onnx python3-nbclient python3-nbformat python3-ipykernel jupyter-client jupyter-nbconvert"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[setup] installing Debian packages: $pkgs" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq $pkgs >&2
  if check /usr/bin/python3; then echo /usr/bin/python3; exit 0; fi
fi
cat >&2 <<MSG
No Python with $need_mods found.
  Debian/Ubuntu: sudo apt-get install $pkgs
  pip setup:     pip install numpy torch nbclient nbformat ipykernel jupyter_client   (then PYTHON=\$(which python) make ...)
MSG
exit 1
