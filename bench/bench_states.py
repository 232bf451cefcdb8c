"""Proof-state texts and state-length mixes for the GPU benches (embed-schedule-gpu, serve-gpu,
serve-e2e-check): one place, so the three measure the same inputs.

- Real states: every ``state_before`` / ``state_after`` / ``init_state`` of the miniF2F search
  traces in ../shared/data/tactic_states (llemma / InternLM), in a fixed order, empty texts and the
  terminal ``no goals`` dropped (design pitfall 4: a terminal node has no state to embed). The GPU
  machine has no ../shared: write them here once and carry the file,

      python3 bench/bench_states.py --out .bench-tmp/shared-states.json

  then pass ``--states .bench-tmp/shared-states.json`` (the benches read ../shared when it is there).
- The realistic state-length mix: upstream's measured states, lognormal with median 170 and p95
  ~506 tokens, cut at the recipe's 512 (mean ~201).
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import math
import os
import sys
from typing import Any, Optional, Sequence

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_TACTIC_STATES = os.path.join(ROOT, "..", "shared", "data", "tactic_states")
STATE_KEYS = ("state_before", "state_after", "init_state")
TERMINAL_TEXT = "no goals"
CHARS_PER_TOKEN = 3.5  # DeepSeek tokenizer on Lean text, the estimate bench/ebm-gpu.py uses
LOGNORMAL_MEDIAN_TOKENS = 170
LOGNORMAL_P95_TOKENS = 506
Z95 = 1.6448536269514722


def shared_states(root: str = SHARED_TACTIC_STATES) -> list[str]:
    """State texts of the shared search traces, files in sorted order, occurrences kept (a state
    seen in several runs counts several times, as it would in trajectories)."""
    out: list[str] = []

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                if k in STATE_KEYS and isinstance(v, str):
                    if v.strip() and v.strip() != TERMINAL_TEXT:
                        out.append(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    for path in sorted(glob.glob(os.path.join(root, "**", "*.json"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            walk(json.load(f))
    return out


def load_states(path: Optional[str]) -> tuple[list[str], str]:
    """(states, where they came from): the --states file when given, else ../shared/data."""
    if path:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        states = doc["states"] if isinstance(doc, dict) else doc
        if not isinstance(states, list) or not states or not all(isinstance(s, str) and s.strip() for s in states):
            raise SystemExit(f"{path}: expected {{\"states\": [non-empty strings]}} (bench/bench_states.py --out writes it)")
        return states, os.path.relpath(path, ROOT)
    states = shared_states()
    if not states:
        raise SystemExit(f"no proof states under {SHARED_TACTIC_STATES}: pass --states FILE (write it with python3 bench/bench_states.py --out FILE where ../shared is)")
    return states, "../shared/data/tactic_states"


def states_digest(states: Sequence[str]) -> str:
    h = hashlib.sha256()
    for s in states:
        h.update(s.encode("utf-8") + b"\0")
    return h.hexdigest()[:16]


def estimated_token_lengths(states: Sequence[str], max_length: int = 512) -> np.ndarray:
    """Recipe tokens without the DeepSeek tokenizer: BOS + [GOAL] + [PROOFSTEP] (single tokens, as the
    merged model has them) + the state at CHARS_PER_TOKEN, cut at max_length (int64)."""
    chars = np.array([len(s) for s in states], dtype=np.float64)
    return np.minimum(max_length, 3 + np.ceil(chars / CHARS_PER_TOKEN)).astype(np.int64)


def lognormal_sigma(median: float = LOGNORMAL_MEDIAN_TOKENS, p95: float = LOGNORMAL_P95_TOKENS) -> float:
    return math.log(p95 / median) / Z95


def lognormal_token_lengths(n: int, seed: int, max_length: int = 512, min_length: int = 8) -> np.ndarray:
    """n recipe token counts, lognormal(median 170, p95 506), cut at max_length (what left
    truncation makes of a longer state), at least min_length (BOS + markers + a goal)."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(math.log(LOGNORMAL_MEDIAN_TOKENS), lognormal_sigma(), size=n)
    return np.clip(np.rint(x), min_length, max_length).astype(np.int64)


def length_stats(lengths: np.ndarray) -> dict[str, float]:
    return {"n": int(lengths.shape[0]), "mean": float(lengths.mean()), "p50": float(np.percentile(lengths, 50)), "p95": float(np.percentile(lengths, 95)),
            "max": int(lengths.max()), "min": int(lengths.min()), "tokens": int(lengths.sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description="write the shared proof states as JSON for a machine without ../shared")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    states = shared_states()
    if not states:
        raise SystemExit(f"no proof states under {SHARED_TACTIC_STATES}")
    sys.path.insert(0, os.path.join(ROOT, "python"))
    from burnqed.atomic_io import write_json_atomic

    write_json_atomic(args.out, {"source": "../shared/data/tactic_states (" + ", ".join(STATE_KEYS) + "; empty and 'no goals' dropped)", "digest": states_digest(states), "states": states})
    print(f"{len(states)} states ({len(set(states))} distinct) → {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
