#!/usr/bin/env bash
# Packs what a GPU machine without Node needs to run `burnqed` (the real profile end to end):
# the CLI and the synthetic Lean REPL bundled with esbuild, this machine's Node 20 binary and
# onnxruntime-node (its native library), compressed with xz: about 40 MB in .device/ (git-ignored;
# the device tool's `carry` takes it along). On the GPU machine, `bash .device/setup.sh` unpacks
# them and prints the PATH to use.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.device
rm -rf "$out" && mkdir -p "$out/node_modules"
banner="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
for entry in "src/cli.ts:burnqed.mjs" "src/demo/synthetic/synthetic-lean-repl.ts:synthetic-lean-repl.mjs"; do
  npx esbuild "${entry%%:*}" --bundle --platform=node --target=node20 --format=esm --log-level=warning \
    --external:onnxruntime-node --banner:js="$banner" --outfile="$out/${entry##*:}"
done
xz -9 -T0 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"
ort=node_modules/onnxruntime-node
mkdir -p "$out/$ort"
cp -r "$ort/package.json" "$ort/dist" "$out/$ort/"
for d in "$ort"/bin/napi-v*/linux/x64; do
  mkdir -p "$out/$d"
  cp "$d/onnxruntime_binding.node" "$out/$d/"
  xz -9 -T0 -c "$d/libonnxruntime.so.1" > "$out/$d/libonnxruntime.so.1.xz"
done
cp -r node_modules/onnxruntime-common "$out/node_modules/"
cat > "$out/setup.sh" <<'EOF'
#!/usr/bin/env bash
# Unpacks the bundled Node and onnxruntime (python3's lzma: no xz needed); prints the PATH line.
set -euo pipefail
d="$(cd "$(dirname "$0")" && pwd)"
python3 - "$d" <<'PY'
import lzma, os, pathlib, shutil, sys
d = pathlib.Path(sys.argv[1])
for xz in d.rglob("*.xz"):
    out = xz.with_suffix("")
    if not out.exists():
        with lzma.open(xz) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
os.chmod(d / "node", 0o755)
(d / "bin").mkdir(exist_ok=True)
link = d / "bin" / "node"
if not link.exists():
    link.symlink_to(d / "node")
PY
echo "export PATH=$d/bin:\$PATH"
EOF
chmod +x "$out/setup.sh"
du -sh "$out"
