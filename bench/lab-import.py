"""How long a notebook's first cell takes: tslab compiling ./src/lab.js itself against
./scripts/lab.cjs (the esbuild bundle the notebooks import), side by side in one run.

Each round executes two 3-cell notebooks with the project kernel (burnqed.notebook_exec, as
`make reports` does): parameters, `import * as lab from <path>` + `lab.openRun(...)`, and one
`lab` call; alternately, --rounds times. Prints the median seconds of the import cell for each and
the ratio. Needs `make setup` (the kernel spec, nbclient).

    python3 bench/lab-import.py [--rounds 3] [--out bench/results/lab-import.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPORTS = {"src_lab_ts": "./src/lab.js", "bundle_lab_cjs": "./scripts/lab.cjs"}


def notebook(path: str, runs_dir: str) -> dict:
    cell = lambda src, tags=None: {"cell_type": "code", "metadata": {"tags": tags or []}, "source": src, "outputs": [], "execution_count": None}  # noqa: E731
    return {"cells": [cell("const x = 1;", ["parameters"]),
                      cell(f'import * as lab from "{path}";\nconst run = lab.openRun({{ run_id: "bench", profile: "demo", runs_dir: "{runs_dir}" }});'),
                      cell("console.log(typeof lab.stage, run.config.run_id);")],
            "metadata": {"kernelspec": {"name": "burnqed-ts", "display_name": "TypeScript (burnqed)", "language": "typescript"}}, "nbformat": 4, "nbformat_minor": 5}


def run_once(name: str, tmp: str) -> dict:
    nb, out = os.path.join(tmp, f"{name}.ipynb"), os.path.join(tmp, f"{name}.out.ipynb")
    with open(nb, "w") as f:
        json.dump(notebook(IMPORTS[name], os.path.join(tmp, "runs")), f)
    env = {**os.environ, "JUPYTER_PATH": os.environ.get("JUPYTER_PATH", os.path.join(ROOT, ".jupyter")), "PYTHONPATH": os.path.join(ROOT, "python"), "BURNQED_DISPLAY": "notebook"}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "burnqed.notebook_exec", "--notebook", nb, "--out", out, "--params", "{}", "--cwd", ROOT], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{name}: notebook failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    cell = next(float(line.split("ok (")[1].split(" s)")[0]) for line in (done.stdout + done.stderr).splitlines() if "cell 2/3 ok" in line)
    text = [o.get("text", "") for o in json.load(open(out))["cells"][2]["outputs"]]
    printed = "".join("".join(t) if isinstance(t, list) else t for t in text)
    return {"import_cell_s": cell, "notebook_wall_s": wall, "printed": printed.strip()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    rows: dict = {k: [] for k in IMPORTS}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name in IMPORTS:
                rows[name].append(run_once(name, tmp))
    med = {k: statistics.median(r["import_cell_s"] for r in v) for k, v in rows.items()}
    result = {"bench": "lab-import", "rounds": args.rounds, "median_import_cell_s": med, "bundle_over_src": med["bundle_lab_cjs"] / med["src_lab_ts"],
              "same_output": len({r["printed"] for v in rows.values() for r in v}) == 1, "runs": rows, "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print(json.dumps(result))
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            f.write(json.dumps(result, indent=2) + "\n")
        os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
