"""Is burnqed.sft's compiled-layer mode (compile_layers) numerically the eager model? (CUDA)

A tiny random Llama (tests/llm_fixtures.tiny_base_model), float32, flex attention, eval mode: the
summed completion CE of 8 examples, (a) one example per forward (transformers' own causal mask)
and (b) packed rows under the job's document mask (burnqed.sft.completion_ce_sum), each eager and
with every decoder layer compiled. Prints one JSON line: the four sums and their relative gaps.

    python3 bench/sft-compile-check.py
"""
import json
import os
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "python"), os.path.join(ROOT, "python", "tests")]

from burnqed.sft import SftConfig, StepContext, build_model, completion_ce_sum, enable_flex, load_examples, pad_batch, resolve_pad_multiple  # noqa: E402
from burnqed.sft_loss import summed_completion_ce  # noqa: E402
from burnqed.sft_packing import collate_packed  # noqa: E402
from llm_fixtures import tiny_base_model  # noqa: E402


def sums(compile_layers: bool, base: dict, root: str) -> dict:
    cfg = SftConfig.from_dict({**base, "out_dir": os.path.join(root, "a"), "out_summary": os.path.join(root, "s.json"), "checkpoint_path": os.path.join(root, "c.pt"),
                               "lora_r": 8, "lora_alpha": 16, "max_length": 512, "max_tokens_per_row": 1024, "dtype": "float32", "device": "cuda", "attention": "flex", "compile_layers": compile_layers})
    dev = torch.device("cuda")
    built = build_model(cfg, "flex", dev)
    exs = load_examples(cfg, built.tokenizer)[0][:8]
    model = built.model.eval()
    ctx = StepContext(attention="flex", dtype=torch.float32, device=dev, pad_id=1, pad_multiple=resolve_pad_multiple(cfg, "flex"), keep_completion_logits=True, max_tokens_per_row=1024, rows_per_micro_batch=2)
    with torch.no_grad():
        alone = [float(summed_completion_ce(model(input_ids=torch.tensor([e.input_ids], device=dev), use_cache=False).logits, torch.tensor([e.labels], device=dev))) for e in exs]
        one_per_row = [float(completion_ce_sum(model, pad_batch(collate_packed([[e]], 1), ctx.pad_multiple, 1).to(dev), ctx)) for e in exs]
        rows = [exs[:3], exs[3:5], exs[5:]]
        packed = sum(float(completion_ce_sum(model, pad_batch(collate_packed(rows[i : i + 2], 1), ctx.pad_multiple, 1).to(dev), ctx)) for i in range(0, len(rows), 2))
    return {"compiled_layers": built.compiled_layers, "alone": alone, "alone_sum": sum(alone), "one_per_row_doc_mask": one_per_row, "packed_sum": packed}


def main() -> None:
    enable_flex("flex")
    with tempfile.TemporaryDirectory() as root:
        base = tiny_base_model(os.path.join(root, "data"))
        eager = sums(False, base, root)
        compiled = sums(True, base, root)
    rel = lambda a, b: abs(a - b) / abs(b)  # noqa: E731
    out = {"eager": eager, "compiled": compiled,
           "rel_packed_vs_alone_eager": rel(eager["packed_sum"], eager["alone_sum"]), "rel_packed_vs_alone_compiled": rel(compiled["packed_sum"], compiled["alone_sum"]),
           "rel_compiled_vs_eager_alone": rel(compiled["alone_sum"], eager["alone_sum"]), "rel_compiled_vs_eager_packed": rel(compiled["packed_sum"], eager["packed_sum"]),
           "max_rel_per_example_compiled_vs_eager_alone": max(rel(a, b) for a, b in zip(compiled["alone"], eager["alone"])),
           "max_rel_per_example_compiled_vs_eager_doc_mask": max(rel(a, b) for a, b in zip(compiled["one_per_row_doc_mask"], eager["one_per_row_doc_mask"]))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
