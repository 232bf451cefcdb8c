"""Is burnqed.sft's compiled-layer mode (compile_layers) numerically the eager model? (CUDA)

A tiny random Llama (tests/llm_fixtures.tiny_base_model), float32, flex attention, LoRA dropout 0.
For each compile scope of burnqed.sft.compile_decoder_layers (and eager), on the same weights:

- eval: the completion CE of 8 examples one per forward (transformers' own causal mask, a new
  length every call), each alone in a padded row under the job's document mask, and packed rows
  under the document mask at two row widths (so a compiled graph meets a second shape);
- train: the LoRA gradients of a packed step (summed CE / completion tokens), at both widths.

Prints one JSON line: per scope the sums, the relative gaps to eager, the gradients' relative L2
gap to eager, and the wall time (compilation included).

    python3 bench/sft-compile-check.py [--scopes layer,layer_static,mlp]
"""
import argparse
import json
import os
import sys
import tempfile
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "python"), os.path.join(ROOT, "python", "tests")]

from burnqed.sft import COMPILE_SCOPES, SftConfig, StepContext, build_model, completion_ce_sum, enable_flex, load_examples, pad_batch  # noqa: E402
from burnqed.sft_loss import summed_completion_ce  # noqa: E402
from burnqed.sft_packing import collate_packed  # noqa: E402
from llm_fixtures import tiny_base_model  # noqa: E402

WIDTHS = (512, 128)  # pad multiples: rows of 512 tokens, then rows of the next multiple of 128


def run(scope: str, base: dict, root: str) -> dict:
    import torch._dynamo

    torch._dynamo.reset()
    cfg = SftConfig.from_dict({**base, "out_dir": os.path.join(root, "a"), "out_summary": os.path.join(root, "s.json"), "checkpoint_path": os.path.join(root, "c.pt"),
                               "lora_r": 8, "lora_alpha": 16, "lora_dropout": 0.0, "max_length": 512, "max_tokens_per_row": 1024, "dtype": "float32", "device": "cuda",
                               "attention": "flex", "compile_layers": scope != "eager", **({"compile_scope": scope} if scope != "eager" else {})})
    dev = torch.device("cuda")
    t0 = time.perf_counter()
    built = build_model(cfg, "flex", dev)
    exs = load_examples(cfg, built.tokenizer)[0][:8]
    model = built.model
    rows = [exs[:3], exs[3:5], exs[5:]]
    out: dict = {"compiled_layers": built.compiled_layers}

    def ctx(multiple: int) -> StepContext:
        return StepContext(attention="flex", dtype=torch.float32, device=dev, pad_id=1, pad_multiple=multiple, keep_completion_logits=True, max_tokens_per_row=1024, rows_per_micro_batch=2)

    def batch(rs: list, multiple: int):
        return pad_batch(collate_packed(rs, 1), multiple, 1).to(dev)

    model.eval()
    with torch.no_grad():
        out["alone"] = [float(summed_completion_ce(model(input_ids=torch.tensor([e.input_ids], device=dev), use_cache=False).logits, torch.tensor([e.labels], device=dev))) for e in exs]
        out["one_per_row_doc_mask"] = [float(completion_ce_sum(model, batch([[e]], 512), ctx(512))) for e in exs]
        for m in WIDTHS:
            out[f"packed_{m}"] = [float(completion_ce_sum(model, batch(rows[i : i + 2], m), ctx(m))) for i in range(0, len(rows), 2)]
    model.train()
    n_completion = sum(sum(1 for y in e.labels if y != -100) for e in exs)
    params = [p for _, p in built.named]
    for m in WIDTHS:
        for p in params:
            p.grad = None
        for i in range(0, len(rows), 2):
            (completion_ce_sum(model, batch(rows[i : i + 2], m), ctx(m)) / n_completion).backward()
        out[f"grad_{m}"] = torch.cat([p.grad.reshape(-1).double().cpu() for p in params if p.grad is not None])
    torch.cuda.synchronize()
    out["wall_s"] = time.perf_counter() - t0
    del built, model
    torch.cuda.empty_cache()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scopes", default=",".join(COMPILE_SCOPES))
    args = ap.parse_args()
    enable_flex("flex")
    rel = lambda a, b: abs(a - b) / max(abs(b), 1e-30)  # noqa: E731
    report: dict = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0)}
    with tempfile.TemporaryDirectory() as root:
        base = tiny_base_model(os.path.join(root, "data"))
        eager = run("eager", base, root)
        report["eager"] = {"alone_sum": sum(eager["alone"]), "rel_packed_vs_alone": {m: rel(sum(eager[f"packed_{m}"]), sum(eager["alone"])) for m in WIDTHS}, "wall_s": eager["wall_s"]}
        for scope in [s for s in args.scopes.split(",") if s]:
            try:
                got = run(scope, base, root)
            except Exception as e:  # one scope failing to compile must not hide the others
                report[scope] = {"error": f"{type(e).__name__}: {str(e)[:400]}"}
                print(json.dumps({scope: report[scope]}), flush=True)
                continue
            r = {
                "compiled_layers": got["compiled_layers"],
                "max_rel_alone_vs_eager": max(rel(a, b) for a, b in zip(got["alone"], eager["alone"])),
                "max_rel_doc_mask_vs_eager": max(rel(a, b) for a, b in zip(got["one_per_row_doc_mask"], eager["one_per_row_doc_mask"])),
                "rel_packed_vs_eager": {m: max(rel(a, b) for a, b in zip(got[f"packed_{m}"], eager[f"packed_{m}"])) for m in WIDTHS},
                "rel_packed_vs_own_alone": {m: rel(sum(got[f"packed_{m}"]), sum(got["alone"])) for m in WIDTHS},
                "grad_rel_l2_vs_eager": {m: float((got[f"grad_{m}"] - eager[f"grad_{m}"]).norm() / eager[f"grad_{m}"].norm()) for m in WIDTHS},
                "wall_s": got["wall_s"],
            }
            r["equal_to_eager"] = max(r["max_rel_alone_vs_eager"], r["max_rel_doc_mask_vs_eager"], *r["rel_packed_vs_eager"].values(), *r["grad_rel_l2_vs_eager"].values()) < 1e-4
            report[scope] = r
            print(json.dumps({scope: r}), flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
