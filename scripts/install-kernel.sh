#!/usr/bin/env bash
# Write the project's Jupyter kernel spec into .jupyter/ (JUPYTER_PATH=$PWD/.jupyter finds it).
# `make kernel-user` installs the same spec for your user's Jupyter.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/.jupyter/kernels/burnqed-ts}"
mkdir -p "$dest"
cat > "$dest/kernel.json.tmp" <<JSON
{
  "argv": ["$root/scripts/tslab-kernel", "{connection_file}"],
  "display_name": "TypeScript (burnqed)",
  "language": "typescript"
}
JSON
mv "$dest/kernel.json.tmp" "$dest/kernel.json"
