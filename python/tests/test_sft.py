"""The SFT job: its defaults are the plan's recipe; rows become the right model inputs under every
attention mode; the training loop (on a tiny CPU model) learns, reports, resumes to the same
weights, stops on NaN keeping the last checkpoint, checkpoints on SIGTERM, and gives the same
result on two gloo ranks as on one. Where transformers and peft are installed (the GPU machine):
the whole job on a tiny random Llama with a BPE tokenizer trained here."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import unittest
from typing import Any, Optional

import torch

from burnqed.events import EventWriter, JobAbort, JobTerminated
from burnqed.sft import (
    NullEvents,
    SftConfig,
    StepContext,
    block_mask_4d,
    completion_ce_sum,
    enable_flex,
    fingerprint,
    model_inputs,
    pad_batch,
    resolve_attention,
    resolve_pad_multiple,
    train,
    window_metrics,
    LogWindow,
    Dist,
)
from burnqed.sft_data import IGNORE_INDEX, SftExample
from burnqed.sft_loss import summed_completion_ce
from burnqed.sft_packing import block_causal_mask, collate_packed
from burnqed.sft_schedule import lr_at, steps_per_epoch, warmup_steps
from sft_tiny import TinyKwargsLM, toy_examples

try:
    import peft  # noqa: F401
    import tokenizers  # noqa: F401
    import transformers  # noqa: F401

    HAVE_LLM_STACK = True
except ImportError:
    HAVE_LLM_STACK = False

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_ROOT = os.path.dirname(HERE)

# plan Task 1.1: --lora-rank 32 --lora-alpha 64 --lr 3e-5 --epochs 3 --batch-size 2 --grad-accumulation 8
# --max-length 2048 --warmup-ratio 0.05 --eval-steps 500; LoRA dropout 0.05 on the 7 projections; bf16
PLAN_SFT_RECIPE = {
    "lora_r": 32,
    "lora_alpha": 64,
    "lora_dropout": 0.05,
    "lora_target_modules": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "lr": 3e-5,
    "warmup_ratio": 0.05,
    "epochs": 3,
    "examples_per_step": 16,
    "max_length": 2048,
    "dtype": "bfloat16",
    "eval_every_steps": 500,
}
# what the plan leaves out: Hugging Face Trainer's defaults; Gotcha 14's mode choice; the run controls
UNSTATED_DEFAULTS = {
    "lr_schedule": "linear",
    "weight_decay": 0.0,
    "adam_betas": (0.9, 0.999),
    "adam_eps": 1e-8,
    "grad_clip_norm": 1.0,
    "seed": 0,
    "special_tokens_mode": "trainable_token_rows",
    "lora_compute": "autocast",  # the plan's bf16=True is Trainer's autocast over float32 adapter weights
    "drop_last": False,
    "device": "auto",
    "checkpoint_every_steps": 500,
    "max_tokens_per_row": 8192,
    "rows_per_micro_batch": 1,
    "attention": "auto",
    "attn_implementation": "sdpa",
    "pad_to_multiple_of": None,
    "logits_on_completion_only": True,
    "gradient_checkpointing": False,
    "compile_layers": True,  # CUDA only; the one scope equal to eager on every path (bench/results/sft-gpu.md)
    "compile_scope": "mlp",
    "log_every_steps": 10,
    "eval_at_start": True,
    "eval_max_examples": None,
    "stop_after_steps": None,
}
CPU = torch.device("cpu")


def paths(root: str) -> dict[str, str]:
    return {"model_dir": "tiny", "train_jsonl": "toy-train", "val_jsonl": "toy-val", "out_dir": os.path.join(root, "out"), "out_summary": os.path.join(root, "summary.json"), "checkpoint_path": os.path.join(root, "ckpt.pt")}


def toy_config(root: str, **kw: Any) -> SftConfig:
    raw = {**paths(root), "lr": 1e-2, "epochs": 2, "examples_per_step": 8, "max_length": 16, "max_tokens_per_row": 40, "eval_every_steps": 4,
           "checkpoint_every_steps": 4, "log_every_steps": 2, "warmup_ratio": 0.1, **kw}
    return SftConfig.from_dict(raw)


def ctx_for(attention: str = "block_mask", **kw: Any) -> StepContext:
    base = dict(attention=attention, dtype=torch.float64, device=CPU, pad_id=0, pad_multiple=1, keep_completion_logits=True, max_tokens_per_row=40, rows_per_micro_batch=1)
    base.update(kw)
    return StepContext(**base)


class EventLog:
    """An EventWriter on a temp file, read back as dicts."""

    def __init__(self, root: str, name: str = "events.jsonl") -> None:
        self.path = os.path.join(root, name)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        self.writer = EventWriter(self.fd)

    def close(self) -> None:
        os.close(self.fd)

    def read(self) -> list[dict[str, Any]]:
        with open(self.path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def metric(self, name: str) -> list[tuple[int, float]]:
        return [(e["step"], e["value"]) for e in self.read() if e["event"] == "metric" and e["name"] == name]


def run_train(cfg: SftConfig, model: TinyKwargsLM, log: Optional[EventLog] = None, ctx: Optional[StepContext] = None, n_train: int = 44) -> Any:
    return train(cfg, model, list(model.named_parameters()), toy_examples(n_train, seed=1), toy_examples(10, seed=2), ctx or ctx_for(), "fp-test", Dist(), log.writer if log else NullEvents())


def params_of(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


class ConfigTest(unittest.TestCase):
    def test_defaults_are_the_plans_recipe(self) -> None:
        cfg = SftConfig(**paths("/r"))
        for key, value in {**PLAN_SFT_RECIPE, **UNSTATED_DEFAULTS}.items():
            self.assertEqual(getattr(cfg, key), value, key)
        # 16 examples per step is the plan's batch 2 x accumulation 8; 80K pairs -> 15K steps over 3 epochs
        self.assertEqual(steps_per_epoch(80_000, cfg.examples_per_step) * cfg.epochs, 15_000)
        documented = {f.name for f in dataclasses.fields(SftConfig)} - set(paths("/r")) - {"tokenizer_dir"}
        self.assertEqual(documented, set(PLAN_SFT_RECIPE) | set(UNSTATED_DEFAULTS))  # every key's default is pinned above

    def test_strict_keys_and_values(self) -> None:
        with self.assertRaisesRegex(ValueError, r"unknown key\(s\) \['lora_rank'\]"):
            SftConfig.from_dict({**paths("/r"), "lora_rank": 32})
        with self.assertRaisesRegex(ValueError, r"missing key\(s\) \['val_jsonl'\]"):
            SftConfig.from_dict({k: v for k, v in paths("/r").items() if k != "val_jsonl"})
        with self.assertRaisesRegex(ValueError, "max_tokens_per_row' must be >= max_length 2048"):
            SftConfig.from_dict({**paths("/r"), "max_tokens_per_row": 1024})
        with self.assertRaisesRegex(ValueError, "'attention' must be one of"):
            SftConfig.from_dict({**paths("/r"), "attention": "flash"})
        with self.assertRaisesRegex(ValueError, "special_tokens_mode"):
            SftConfig.from_dict({**paths("/r"), "special_tokens_mode": "none"})
        self.assertEqual(SftConfig.from_dict({**paths("/r"), "lora_target_modules": ["q_proj"]}).lora_target_modules, ("q_proj",))

    def test_fingerprint_covers_the_recipe_and_data_not_the_layout(self) -> None:
        base = SftConfig(**paths("/r"))
        data = {"train": "a", "val": "b"}
        fp = fingerprint(base, data)
        self.assertNotEqual(fingerprint(dataclasses.replace(base, lr=1e-4), data), fp)
        self.assertNotEqual(fingerprint(base, {"train": "c", "val": "b"}), fp)
        self.assertNotEqual(fingerprint(dataclasses.replace(base, model_dir="other"), data), fp)
        for layout in ({"attention": "block_mask"}, {"max_tokens_per_row": 4096}, {"rows_per_micro_batch": 2}, {"device": "cpu"}, {"out_dir": "/elsewhere"}, {"eval_every_steps": 100}):
            self.assertEqual(fingerprint(dataclasses.replace(base, **layout), data), fp, layout)

    def test_attention_resolution(self) -> None:
        self.assertEqual(resolve_attention("auto", "cuda", "2.11.0+cu130"), "flex")
        self.assertEqual(resolve_attention("auto", "cuda", "2.4.1"), "block_mask")
        self.assertEqual(resolve_attention("auto", "cpu", "2.11.0"), "block_mask")
        self.assertEqual(resolve_attention("padding_mask", "cuda", "2.11.0"), "padding_mask")
        cfg = SftConfig(**paths("/r"))
        self.assertEqual((resolve_pad_multiple(cfg, "flex"), resolve_pad_multiple(cfg, "block_mask")), (512, 8))
        self.assertEqual(resolve_pad_multiple(dataclasses.replace(cfg, pad_to_multiple_of=64), "flex"), 64)


class InputsTest(unittest.TestCase):
    a = SftExample("a", (5, 6, 7), (IGNORE_INDEX, 6, 7), 2)
    b = SftExample("b", (8, 9), (IGNORE_INDEX, 9), 1)
    c = SftExample("c", (3, 4, 1, 2), (IGNORE_INDEX, IGNORE_INDEX, 1, 2), 2)

    def test_pad_batch_exact(self) -> None:
        batch = pad_batch(collate_packed([[self.a, self.b], [self.c]], pad_id=0), 4, pad_id=0)
        self.assertEqual(batch.input_ids.tolist(), [[5, 6, 7, 8, 9, 0, 0, 0], [3, 4, 1, 2, 0, 0, 0, 0]])
        self.assertEqual(batch.labels.tolist(), [[-100, 6, 7, -100, 9, -100, -100, -100], [-100, -100, 1, 2, -100, -100, -100, -100]])
        self.assertEqual(batch.position_ids.tolist(), [[0, 1, 2, 0, 1, 0, 1, 2], [0, 1, 2, 3, 0, 1, 2, 3]])
        self.assertEqual(batch.cu_seqlens, ((0, 3, 5), (0, 4)))
        same = collate_packed([[self.a]])
        self.assertIs(pad_batch(same, 1, 0), same)

    def test_device_block_mask_is_sft_packings(self) -> None:
        batch = pad_batch(collate_packed([[self.a, self.b], [self.c]]), 4, 0)
        want = block_causal_mask(batch.cu_seqlens, 8, dtype=torch.float64)
        self.assertTrue(torch.equal(block_mask_4d(batch, torch.float64), want))

    def test_model_inputs_per_mode(self) -> None:
        batch = collate_packed([[self.a], [self.b]])
        kw = model_inputs(batch, ctx_for("padding_mask"))
        self.assertEqual(kw["attention_mask"].tolist(), [[1, 1, 1], [1, 1, 0]])
        self.assertFalse(kw["use_cache"])
        self.assertEqual(model_inputs(batch, ctx_for("block_mask"))["attention_mask"].shape, (2, 1, 3, 3))
        self.assertNotIn("attention_mask", model_inputs(batch, ctx_for("position_ids")))
        with self.assertRaisesRegex(ValueError, "resolved"):
            model_inputs(batch, ctx_for("auto"))

    def test_completion_logits_only_give_the_same_loss(self) -> None:
        model = TinyKwargsLM(dropout=0.0).eval()
        rows = [[self.a, self.b], [self.c]]
        batch = collate_packed(rows)
        with torch.no_grad():
            full = summed_completion_ce(model(**model_inputs(batch, ctx_for())).logits, batch.labels)
            kept = completion_ce_sum(model, batch, ctx_for(keep_completion_logits=True))
            self.assertTrue(torch.allclose(kept, full, atol=1e-12, rtol=0), (float(kept), float(full)))
            self.assertTrue(torch.allclose(completion_ce_sum(model, batch, ctx_for(keep_completion_logits=False)), full, atol=1e-12, rtol=0))

    def test_packed_block_mask_equals_padded_rows(self) -> None:
        """The job's packed layout and the plan's padded layout give the same summed CE."""
        model = TinyKwargsLM(dropout=0.0).eval()
        exs = toy_examples(9, seed=4)
        packed = completion_ce_sum(model, pad_batch(collate_packed([exs[:4], exs[4:]]), 8, 0), ctx_for("block_mask"))
        padded = completion_ce_sum(model, collate_packed([[e] for e in exs]), ctx_for("padding_mask"))
        one_by_one = sum(completion_ce_sum(model, collate_packed([[e]]), ctx_for("block_mask")) for e in exs)
        self.assertTrue(torch.allclose(packed, one_by_one, atol=1e-10, rtol=0))
        self.assertTrue(torch.allclose(padded, one_by_one, atol=1e-10, rtol=0))


class LoopTest(unittest.TestCase):
    def test_window_metrics(self) -> None:
        w = LogWindow()
        self.assertEqual(window_metrics(w, 1e-3, None), [])
        w.add(2.0, 1.0, 100, 0.5)
        w.add(1.0, 3.0, 300, 1.5)
        self.assertEqual(window_metrics(w, 1e-3, None), [("loss", 1.5), ("lr", 1e-3), ("grad_norm", 2.0), ("tokens_per_s", 200.0)])
        self.assertEqual(window_metrics(w, 1e-3, 512.0)[-1], ("peak_mem_mb", 512.0))

    def test_learns_and_reports(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            log = EventLog(root)
            cfg = toy_config(root, epochs=4)
            outcome = run_train(cfg, TinyKwargsLM(), log)
            log.close()
            total = 4 * steps_per_epoch(44, 8)  # 6 steps an epoch
            self.assertEqual((outcome.total_steps, outcome.warmup_steps, outcome.position.global_step), (24, warmup_steps(24, 0.1), 24))
            val = log.metric("val_loss")
            self.assertEqual([s for s, _ in val], [0, 4, 8, 12, 16, 20, 24])  # before training, every 4 steps; the last is the final one
            self.assertLess(val[-1][1], 0.6 * val[0][1])
            self.assertEqual(outcome.final_val_loss, val[-1][1])
            loss = log.metric("loss")
            self.assertEqual([s for s, _ in loss], list(range(2, 25, 2)))
            self.assertLess(loss[-1][1], loss[0][1])
            lrs = dict(log.metric("lr"))
            for step, value in lrs.items():
                self.assertAlmostEqual(value, lr_at(step - 1, total, outcome.warmup_steps, cfg.lr), places=12)  # the lr the step ran at
            self.assertTrue(all(v > 0 for _, v in log.metric("tokens_per_s")))
            self.assertTrue(all(v >= 0 for _, v in log.metric("grad_norm")))
            self.assertEqual(log.metric("peak_mem_mb"), [])  # CPU: no device memory to report
            self.assertEqual(outcome.position.train_tokens, 4 * sum(len(e) for e in toy_examples(44, seed=1)))  # real tokens, every epoch
            progress = [e for e in log.read() if e["event"] == "progress"]
            self.assertEqual((progress[-1]["step"], progress[-1]["total"], progress[-1]["message"]), (24, 24, "epoch 4/4"))
            checkpoints = [e for e in log.read() if e["event"] == "artifact" and e["kind"] == "checkpoint"]
            self.assertEqual(len(checkpoints), 6)  # every 4 steps

    def test_resume_equals_an_uninterrupted_run(self) -> None:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            full_model = TinyKwargsLM()
            full = run_train(toy_config(a, checkpoint_every_steps=100), full_model)
            cfg = toy_config(b, checkpoint_every_steps=100, stop_after_steps=5)
            first = run_train(cfg, TinyKwargsLM())
            self.assertTrue(first.stopped_early)
            self.assertEqual(first.position.global_step, 5)
            log = EventLog(b)
            resumed_model = TinyKwargsLM(seed=123)  # other initial weights: the checkpoint must replace them all
            resumed = run_train(dataclasses.replace(cfg, stop_after_steps=None), resumed_model, log)
            log.close()
            self.assertTrue(any(e["event"] == "warning" and "resuming from" in e["message"] and "step 5 of 12" in e["message"] for e in log.read()))
            self.assertEqual(resumed.position.global_step, full.position.global_step)
            for name, value in params_of(full_model).items():
                self.assertTrue(torch.equal(value, params_of(resumed_model)[name]), name)  # dropout and AdamW state restored exactly
            self.assertEqual(resumed.final_val_loss, full.final_val_loss)
            self.assertEqual(resumed.position.train_tokens, full.position.train_tokens)
            self.assertNotIn(0, [s for s, _ in log.metric("val_loss")])  # no baseline eval on resume

    def test_a_checkpoint_of_another_recipe_is_ignored(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            run_train(toy_config(root, stop_after_steps=2), TinyKwargsLM())
            log = EventLog(root)
            other = train(toy_config(root, stop_after_steps=3), TinyKwargsLM(), list(TinyKwargsLM().named_parameters()), toy_examples(44, seed=1), toy_examples(10, seed=2), ctx_for(), "fp-other", Dist(), log.writer)
            log.close()
            self.assertEqual(other.position.global_step, 3)
            self.assertTrue(any(e["event"] == "warning" and "ignoring checkpoint" in e["message"] for e in log.read()))

    def test_nan_aborts_before_the_step_and_keeps_the_last_checkpoint(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg = toy_config(root, checkpoint_every_steps=2, eval_at_start=False)
            model = TinyKwargsLM()
            log = EventLog(root)
            first = run_train(dataclasses.replace(cfg, stop_after_steps=4), model, log)  # checkpoints at steps 2 and 4; the rerun resumes at 4
            self.assertEqual(first.position.global_step, 4)
            with open(cfg.checkpoint_path, "rb") as f:
                saved = f.read()
            before = params_of(model)
            model.poison_from_call = model.train_calls + 1  # the next training forward (step 5) is NaN
            with self.assertRaisesRegex(JobAbort, r"step 5: non-finite loss nan .*the last checkpoint .* is kept"):
                run_train(cfg, model, log)
            log.close()
            with open(cfg.checkpoint_path, "rb") as f:
                self.assertEqual(f.read(), saved)  # untouched
            after = params_of(model)
            for name in before:
                self.assertTrue(torch.equal(before[name], after[name]), name)  # no optimizer step with the NaN gradient
            nan_losses = [(s, v) for s, v in log.metric("loss") if v == "NaN"]
            self.assertEqual(nan_losses, [(5, "NaN")])

    def test_sigterm_checkpoints_at_the_next_step_boundary(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg = toy_config(root, checkpoint_every_steps=100, eval_at_start=False)
            model = TinyKwargsLM()
            sent: list[int] = []

            def send_once(n: int) -> None:
                if n == 7 and not sent:  # inside a step: the step must still complete
                    sent.append(n)
                    os.kill(os.getpid(), signal.SIGTERM)

            model.on_forward = send_once
            log = EventLog(root)
            with self.assertRaisesRegex(JobTerminated, r"SIGTERM: checkpoint saved at step (\d+)"):
                run_train(cfg, model, log)
            log.close()
            self.assertEqual(len([e for e in log.read() if e["event"] == "artifact" and e["kind"] == "checkpoint"]), 1)
            blob = torch.load(cfg.checkpoint_path)
            step = blob["position"]["global_step"]
            self.assertEqual(blob["position"]["step_in_epoch"], step % 6)
            # the step that was running finished (its forwards all ran) and no later step started
            reference = TinyKwargsLM()
            run_train(toy_config(os.path.join(root, "ref"), checkpoint_every_steps=100, eval_at_start=False, stop_after_steps=step), reference)
            self.assertEqual(model.train_calls, reference.train_calls)
            self.assertGreaterEqual(model.train_calls, 7)

    def test_two_gloo_ranks_match_one_process(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            worker = os.path.join(HERE, "sft_rank_worker.py")
            env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
            done = subprocess.run([sys.executable, worker, root, "1"], env=env, capture_output=True, text=True, timeout=300)
            self.assertEqual(done.returncode, 0, done.stderr[-3000:])
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            procs = [subprocess.Popen([sys.executable, worker, root, "2"], env={**env, "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(2)]
            for p in procs:
                _, err = p.communicate(timeout=300)
                self.assertEqual(p.returncode, 0, err[-3000:])
            one = torch.load(os.path.join(root, "w1", "params_rank0.pt"))
            ranks = [torch.load(os.path.join(root, "w2", f"params_rank{r}.pt")) for r in range(2)]
            for name, value in one.items():
                self.assertTrue(torch.equal(ranks[0][name], ranks[1][name]), name)  # the ranks stay identical
                # float64 sums in another order, amplified by Adam's 1/sqrt(v) over 12 steps: 1e-9 here
                self.assertTrue(torch.allclose(ranks[0][name], value, atol=1e-7, rtol=0), (name, float((ranks[0][name] - value).abs().max())))
            outcomes = []
            for d in ("w1", "w2"):
                with open(os.path.join(root, d, "outcome_rank0.json")) as f:
                    outcomes.append(json.load(f))
            self.assertEqual(outcomes[0]["steps"], outcomes[1]["steps"])
            self.assertEqual(outcomes[0]["tokens"], outcomes[1]["tokens"])  # tokens summed over ranks
            self.assertAlmostEqual(outcomes[0]["val"], outcomes[1]["val"], places=7)


class ImportTest(unittest.TestCase):
    def test_llm_jobs_import_without_transformers(self) -> None:
        code = "import sys, burnqed.sft, burnqed.merge_lora, burnqed.serve, burnqed.serve_protocol, burnqed.serve_batcher, burnqed.hf_loading; sys.exit(int(any(m in sys.modules for m in ('transformers', 'peft', 'tokenizers'))))"
        done = subprocess.run([sys.executable, "-c", code], cwd=PYTHON_ROOT, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)


# ---------------------------------------------------------------------------------------------
# tiny random Llama (transformers + peft + tokenizers: the GPU machine)


def llm_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def flex_available() -> bool:
    major, minor = (int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
    return torch.cuda.is_available() and (major, minor) >= (2, 5)


def llm_config(root: str, base: dict[str, str], **kw: Any) -> dict[str, Any]:
    return {
        **base, "out_dir": os.path.join(root, "adapter"), "out_summary": os.path.join(root, "summary.json"), "checkpoint_path": os.path.join(root, "ckpt.pt"),
        "lora_r": 8, "lora_alpha": 16, "lr": 5e-3, "epochs": 2, "examples_per_step": 8, "max_length": 512, "max_tokens_per_row": 1024, "dtype": "float32",
        "eval_every_steps": 5, "checkpoint_every_steps": 5, "log_every_steps": 2, "device": llm_device(), "attention": "block_mask",
        "compile_layers": False, **kw,  # eager unless a test asks (compiling costs seconds per build on the GPU)
    }


def run_main(cfg: dict[str, Any], root: str, name: str = "events.jsonl") -> tuple[Optional[dict[str, Any]], EventLog]:
    from burnqed.sft import main

    log = EventLog(root, name)
    try:
        return main(cfg, log.writer), log
    finally:
        log.close()


@unittest.skipUnless(HAVE_LLM_STACK, "transformers/peft/tokenizers not installed here: the tiny-Llama SFT tests run on the GPU machine")
class TinyLlamaSftTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        from llm_fixtures import tiny_base_model

        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = cls.tmp.name
        cls.base = tiny_base_model(os.path.join(cls.root, "data"))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def built(self, attention: str, dtype: str = "float32") -> Any:
        from burnqed.sft import build_model, load_examples

        cfg = SftConfig.from_dict(llm_config(self.root, self.base, dtype=dtype))
        built = build_model(cfg, attention, torch.device(llm_device()))
        train_examples, _, _ = load_examples(cfg, built.tokenizer)
        return cfg, built, train_examples

    def test_job_end_to_end(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            attention = "flex" if flex_available() else "block_mask"
            summary, log = run_main(llm_config(root, self.base, attention=attention), root)
            assert summary is not None
            val = log.metric("val_loss")
            self.assertEqual(val[0][0], 0)
            self.assertLess(val[-1][1], val[0][1], val)  # it learns the tactics (shared data: 6.4 -> 5.2; the 12 embedded pairs: 6.1 -> 5.7)
            self.assertLess(min(v for _, v in val), val[0][1] - 0.3, val)
            self.assertEqual(summary["attention"], attention)
            self.assertEqual(summary["special_tokens"]["missing_before"], ["[GOAL]", "[PROOFSTEP]"])  # the BPE vocabulary lacked them
            self.assertEqual([len(v) for v in summary["special_tokens"]["markers_tokenise_as"].values()], [1, 1])
            self.assertEqual(summary["special_tokens_mode"], "trainable_token_rows")
            lora = sum(8 * (64 + out) for out in (64, 64, 64, 64, 128, 128)) * 2 + 8 * (128 + 64) * 2  # q k v o gate up (in 64) + down (in 128), 2 layers
            self.assertEqual(summary["trainable_parameters"], lora + 2 * 2 * 64)  # + the two new rows of embed_tokens and lm_head
            with open(self.base["train_jsonl"]) as f_train, open(self.base["val_jsonl"]) as f_val:
                self.assertEqual((summary["data"]["train"]["n_rows"], summary["data"]["val"]["n_rows"]), (len(f_train.readlines()), len(f_val.readlines())))
            self.assertGreater(summary["tokens_per_s"], 0)
            files = os.listdir(os.path.join(root, "adapter"))
            for f in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "burnqed_sft.json"):
                self.assertIn(f, files)
            with open(os.path.join(root, "summary.json")) as f:
                self.assertEqual(json.load(f)["config"]["attention"], attention)

    @unittest.skipUnless(torch.cuda.is_available(), "the job's precision (bfloat16 base, float32 adapter) is checked on the GPU")
    def test_bfloat16_run_on_the_gpu(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            summary, log = run_main(llm_config(root, self.base, dtype="bfloat16", attention="auto", epochs=1), root)
            assert summary is not None
            self.assertEqual(summary["attention"], "flex" if flex_available() else "block_mask")
            losses = [v for _, v in log.metric("loss")]
            self.assertTrue(losses and all(isinstance(v, float) and math.isfinite(v) for v in losses), losses)
            self.assertTrue(all(v > 0 for _, v in log.metric("peak_mem_mb")))
            self.assertLess(summary["val_loss"], log.metric("val_loss")[0][1])

    def test_modules_to_save_in_bfloat16_runs_and_trains_whole_matrices(self) -> None:
        # the plan's Gotcha 14 mode: float32 copies of embed_tokens / lm_head under a bfloat16 model
        with tempfile.TemporaryDirectory() as root:
            summary, log = run_main(llm_config(root, self.base, dtype="bfloat16", epochs=1, special_tokens_mode="modules_to_save"), root)
            assert summary is not None
            self.assertEqual(summary["special_tokens_mode"], "modules_to_save")
            self.assertTrue(all(math.isfinite(v) for _, v in log.metric("loss")))
            lora = sum(8 * (64 + out) for out in (64, 64, 64, 64, 128, 128)) * 2 + 8 * (128 + 64) * 2
            rows = summary["special_tokens"]["embedding_rows_after"]
            self.assertEqual(summary["trainable_parameters"], lora + 2 * rows * 64)  # both whole matrices

    def built_cfg(self, **kw: Any) -> Any:
        from burnqed.sft import build_model

        cfg = SftConfig.from_dict(llm_config(self.root, self.base, **kw))
        return cfg, build_model(cfg, "block_mask", torch.device(llm_device()))

    def step_loss_and_grads(self, built: Any, examples: Any) -> tuple[float, dict[str, torch.Tensor]]:
        ctx = ctx_for("block_mask", dtype=torch.bfloat16, device=torch.device(llm_device()), pad_id=1, max_tokens_per_row=1024)
        built.model.zero_grad(set_to_none=True)
        built.model.eval()  # no dropout: the two precisions see the same function
        ce = completion_ce_sum(built.model, collate_packed([examples[:4]]).to(ctx.device), ctx)
        ce.backward()
        return float(ce.detach()), {n: p.grad.detach().float().clone() for n, p in built.named}

    def test_autocast_runs_the_lora_path_in_bfloat16_and_keeps_float32_weights(self) -> None:
        from burnqed.sft import load_examples

        cfg, auto = self.built_cfg(dtype="bfloat16")
        self.assertTrue(auto.autocast)
        _, fp32 = self.built_cfg(dtype="bfloat16", lora_compute="float32")
        self.assertFalse(fp32.autocast)
        with torch.no_grad():  # LoRA B starts at zero, which leaves A without gradient: give B a value
            gen = torch.Generator().manual_seed(3)
            for n, p in auto.named:
                if "lora_B" in n:
                    p.copy_(torch.randn(p.shape, generator=gen) * 0.05)
        fp32.model.load_state_dict(auto.model.state_dict())
        examples, _, _ = load_examples(cfg, auto.tokenizer)
        seen: list[torch.dtype] = []
        lora_a = next(m for n, m in auto.model.named_modules() if n.endswith("q_proj.lora_A.default"))
        hook = lora_a.register_forward_hook(lambda _m, args, _y: seen.append(args[0].dtype))
        loss_auto, g_auto = self.step_loss_and_grads(auto, examples)
        hook.remove()
        self.assertEqual(set(seen), {torch.bfloat16})  # no float32 copy of the activations
        loss_fp32, g_fp32 = self.step_loss_and_grads(fp32, examples)
        self.assertAlmostEqual(loss_auto, loss_fp32, delta=0.02 * abs(loss_fp32))  # bfloat16 rounding of the LoRA path only
        for n, p in auto.named:
            self.assertEqual((p.dtype, p.grad.dtype), (torch.float32, torch.float32), n)  # float32 master weights and gradients
            self.assertGreater(float(g_fp32[n].norm()), 0.0, n)
            cos = torch.nn.functional.cosine_similarity(g_auto[n].flatten(), g_fp32[n].flatten(), dim=0)
            self.assertGreater(float(cos), 0.98, n)
        self.assertEqual(SftConfig.from_dict(llm_config(self.root, self.base, dtype="float32")).lora_compute, "autocast")
        _, f32_model = self.built_cfg(dtype="float32")
        self.assertFalse(f32_model.autocast)  # nothing to mix in a float32 model

    def test_autocast_with_gradient_checkpointing_recomputes_the_same_dtypes(self) -> None:
        from burnqed.sft import load_examples

        cfg, plain = self.built_cfg(dtype="bfloat16")
        _, ckpt = self.built_cfg(dtype="bfloat16", gradient_checkpointing=True)
        ckpt.model.load_state_dict(plain.model.state_dict())
        examples, _, _ = load_examples(cfg, plain.tokenizer)
        loss_plain, g_plain = self.step_loss_and_grads(plain, examples)
        loss_ckpt, g_ckpt = self.step_loss_and_grads(ckpt, examples)  # would raise on a recomputed dtype mismatch
        self.assertAlmostEqual(loss_plain, loss_ckpt, places=4)
        for n in g_plain:
            torch.testing.assert_close(g_ckpt[n], g_plain[n], rtol=1e-3, atol=1e-5, msg=n)

    def test_special_token_rows_are_trained(self) -> None:
        cfg, built, examples = self.built("block_mask")
        ctx = ctx_for("block_mask", dtype=torch.float32, device=torch.device(llm_device()), pad_id=1, max_tokens_per_row=1024)
        ce = completion_ce_sum(built.model, collate_packed([examples[:4]]).to(ctx.device), ctx)
        ce.backward()
        rows = {n: p for n, p in built.named if "trainable_tokens" in n}
        self.assertEqual(len(rows), 2, [n for n, _ in built.named][:10])
        for n, p in rows.items():
            self.assertEqual(p.dtype, torch.float32)
            self.assertGreater(float(p.grad.abs().sum()), 0.0, n)

    def packed_vs_unpacked(self, attention: str) -> None:
        cfg, built, examples = self.built(attention)
        model = built.model.eval()
        dev = torch.device(llm_device())
        exs = examples[:8]
        with torch.no_grad():
            alone = sum(float(summed_completion_ce(model(input_ids=torch.tensor([e.input_ids], device=dev), use_cache=False).logits, torch.tensor([e.labels], device=dev))) for e in exs)
            ctx = ctx_for(attention, dtype=torch.float32, device=dev, pad_id=1, pad_multiple=resolve_pad_multiple(cfg, attention) if attention == "flex" else 8, max_tokens_per_row=1024, rows_per_micro_batch=2)
            rows = [exs[:3], exs[3:5], exs[5:]] if attention != "padding_mask" else [[e] for e in exs]
            got = sum(float(completion_ce_sum(model, pad_batch(collate_packed(rows[i : i + 2], 1), ctx.pad_multiple, 1).to(dev), ctx)) for i in range(0, len(rows), 2))
        self.assertAlmostEqual(got, alone, delta=1e-4 * abs(alone), msg=attention)

    def test_packed_equals_unpacked_block_mask(self) -> None:
        self.packed_vs_unpacked("block_mask")

    def test_packed_equals_unpacked_position_ids(self) -> None:
        self.packed_vs_unpacked("position_ids")

    def test_padded_rows_equal_unpacked(self) -> None:
        self.packed_vs_unpacked("padding_mask")

    @unittest.skipUnless(flex_available(), "flex attention needs torch >= 2.5 with CUDA")
    def test_packed_equals_unpacked_flex(self) -> None:
        self.packed_vs_unpacked("flex")

    @unittest.skipUnless(flex_available(), "compiled layers and flex attention need torch >= 2.5 with CUDA")
    def test_compiled_layers_equal_eager(self) -> None:
        """compile_scope's default: the CE of one example per forward (transformers' own mask) and of
        packed rows (the document mask), and a packed step's LoRA gradients, equal eager's."""
        from burnqed.sft import build_model, load_examples

        dev = torch.device(llm_device())
        enable_flex("flex")
        got = []
        for compiled in (False, True):
            torch._dynamo.reset()
            cfg = SftConfig.from_dict(llm_config(self.root, self.base, lora_dropout=0.0, compile_layers=compiled))
            built = build_model(cfg, "flex", dev)
            self.assertEqual(built.compiled_layers, 2 if compiled else 0)
            exs = load_examples(cfg, built.tokenizer)[0][:8]
            ctx = ctx_for("flex", dtype=torch.float32, device=dev, pad_id=1, pad_multiple=resolve_pad_multiple(cfg, "flex"), max_tokens_per_row=1024, rows_per_micro_batch=2)
            rows = [exs[:3], exs[3:5], exs[5:]]
            batches = [pad_batch(collate_packed(rows[i : i + 2], 1), ctx.pad_multiple, 1).to(dev) for i in range(0, len(rows), 2)]
            model = built.model.eval()
            with torch.no_grad():
                alone = [float(summed_completion_ce(model(input_ids=torch.tensor([e.input_ids], device=dev), use_cache=False).logits, torch.tensor([e.labels], device=dev))) for e in exs]
                packed = [float(completion_ce_sum(model, b, ctx)) for b in batches]
            model.train()
            for b in batches:
                completion_ce_sum(model, b, ctx).backward()
            grads = torch.cat([p.grad.reshape(-1).double().cpu() for _, p in built.named if p.grad is not None])
            got.append((alone, packed, grads))
        (a0, p0, g0), (a1, p1, g1) = got
        for x, y in zip(a0 + p0, a1 + p1):
            self.assertAlmostEqual(y, x, delta=1e-5 * abs(x))
        self.assertLess(float((g1 - g0).norm() / g0.norm()), 1e-5)

    def test_resume_equals_uninterrupted(self) -> None:
        from safetensors.torch import load_file

        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            run_main(llm_config(a, self.base, checkpoint_every_steps=100), a)
            stopped, _ = run_main(llm_config(b, self.base, checkpoint_every_steps=100, stop_after_steps=3), b)
            self.assertEqual(stopped, {"stopped_at_step": 3, "fingerprint": stopped["fingerprint"]} if stopped else None)
            resumed, log = run_main(llm_config(b, self.base, checkpoint_every_steps=100), b, "resumed.jsonl")
            self.assertTrue(any(e["event"] == "warning" and "resuming from" in e["message"] for e in log.read()))
            want = load_file(os.path.join(a, "adapter", "adapter_model.safetensors"))
            got = load_file(os.path.join(b, "adapter", "adapter_model.safetensors"))
            self.assertEqual(sorted(want), sorted(got))
            tol = 0.0 if llm_device() == "cpu" else 1e-5  # GPU kernels need not be bitwise deterministic
            for name in want:
                self.assertTrue(torch.allclose(want[name], got[name], atol=tol, rtol=0), (name, float((want[name] - got[name]).abs().max())))


if __name__ == "__main__":
    unittest.main()
