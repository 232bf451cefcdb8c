"""Execute one notebook headless with real Jupyter (nbclient), papermill style.

    python -m burnqed.notebook_exec --notebook notebooks/00_data.ipynb --out reports/demo/notebooks/00_data.ipynb \
        --params '{"run_id": "demo", "profile": "demo"}' --kernel burnqed-ts

The cell tagged `parameters` holds `const name = value;` lines. Each injected parameter replaces the
value of its line (TypeScript cannot redeclare a const in a later cell, so papermill's extra cell
does not work here); the cell is re-tagged `injected-parameters`. The executed copy, with outputs,
is written atomically; on a failing cell the partial copy goes to `<out>.failed.ipynb` and the
error names the notebook, the cell and the error.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

PARAM_LINE = re.compile(r"^(\s*(?:export\s+)?(?:const|let)\s+([A-Za-z_]\w*)(?:\s*:\s*[^=]+)?\s*=\s*)(.*?)(;?\s*(?://.*)?)$")


def inject_parameters(nb: nbformat.NotebookNode, params: dict, path: str) -> None:
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise SystemExit(f"{path}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    cell = cells[0]
    lines = cell.source.split("\n")
    seen = set()
    for i, line in enumerate(lines):
        m = PARAM_LINE.match(line)
        if m and m.group(2) in params:
            lines[i] = f"{m.group(1)}{json.dumps(params[m.group(2)], ensure_ascii=False)}{m.group(4) or ';'}"
            seen.add(m.group(2))
    unknown = sorted(set(params) - seen)
    if unknown:
        declared = [m.group(2) for m in map(PARAM_LINE.match, lines) if m]
        raise SystemExit(f"{path}: no parameter named {', '.join(unknown)} in its parameters cell (declared: {', '.join(declared)})")
    cell.source = "\n".join(lines)
    tags = cell.metadata.setdefault("tags", [])
    if "injected-parameters" not in tags:
        tags.append("injected-parameters")


def write_atomic(nb: nbformat.NotebookNode, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)


def watch_parent() -> None:
    """Exit when the process that started us dies (a killed `make reports`); the kernel then exits
    too (scripts/parent-watch.cjs), and nothing half-written is left: outputs are written atomically."""
    parent = os.getppid()

    def loop() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(125)

    threading.Thread(target=loop, daemon=True, name="parent-watch").start()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notebook", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--params", default="{}", help="JSON object of parameters to inject")
    ap.add_argument("--kernel", default="burnqed-ts")
    ap.add_argument("--cwd", default=os.getcwd())
    ap.add_argument("--cell-timeout-s", type=int, default=3600)
    args = ap.parse_args()

    nb = nbformat.read(args.notebook, as_version=4)
    inject_parameters(nb, json.loads(args.params), args.notebook)
    nb.metadata.setdefault("burnqed", {})["executed_params"] = json.loads(args.params)
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.cell_timeout_s,
        resources={"metadata": {"path": args.cwd}},
        record_timing=True,
    )
    out = Path(args.out)
    watch_parent()
    t0 = time.time()
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    try:
        with client.setup_kernel():
            for n, idx in enumerate(code_cells, 1):
                t = time.time()
                client.execute_cell(nb.cells[idx], idx)
                print(f"[notebook] {Path(args.notebook).name}: cell {n}/{len(code_cells)} ok ({time.time() - t:.1f} s)", file=sys.stderr, flush=True)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        failed = out.with_name(out.stem + ".failed.ipynb")
        write_atomic(nb, failed)
        first = str(e).strip().splitlines()
        print(
            f"[notebook] {args.notebook} failed at code cell {n}/{len(code_cells)} ({type(e).__name__}); "
            f"partial copy with outputs: {failed}\n" + "\n".join(first[-25:]),
            file=sys.stderr,
        )
        return 1
    write_atomic(nb, out)
    print(f"[notebook] {Path(args.notebook).name}: executed in {time.time() - t0:.1f} s -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
