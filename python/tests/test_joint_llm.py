"""Joint training on a tiny random Llama with a BPE tokenizer trained on real Lean states
(llm_fixtures.py), where transformers and peft are installed (a venv, the GPU machine):

- the LM is built exactly as the SFT job builds it (same trainable parameters, same init), LoRA on
  the seven projections;
- the energy path's embeddings are embed.EmbeddingExtractor's (the one recipe);
- gradients reach the LoRA, the marker token rows and the head through the energy path; easy
  negatives carry none;
- a head that is not iter_0's is refused naming the field;
- the job resumes bit-identically on the CPU, and stops on SIGTERM as a subprocess;
- export: the adapter merged (merge_lora's check) embeds like the live model and the folded /
  ONNX head scores like the live head;
- the smoke test passes on a random-init model of a (shrunk) given shape and fails naming the check.
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest
from typing import Any
from unittest import mock

import numpy as np
import torch

from burnqed.events import EventWriter, JobAbort

try:
    import peft  # noqa: F401
    import tokenizers  # noqa: F401
    import transformers  # noqa: F401

    HAVE_LLM_STACK = True
except ImportError:
    HAVE_LLM_STACK = False
try:
    import onnx  # torch >= 2's ONNX exporter needs it
except ImportError:
    onnx = None
try:
    import onnxruntime
except ImportError:
    onnxruntime = None

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_ROOT = os.path.dirname(HERE)
HIDDEN = 64  # llm_fixtures.tiny_llama


def device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


class EventFile:
    def __init__(self, root: str, name: str) -> None:
        self.path = os.path.join(root, name)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        self.writer = EventWriter(self.fd)

    def read(self) -> list[dict[str, Any]]:
        os.close(self.fd)
        with open(self.path) as f:
            return [json.loads(line) for line in f if line.strip()]


@unittest.skipUnless(HAVE_LLM_STACK, "transformers/peft/tokenizers not installed here (Debian's python): run with /tmp/llmvenv or on the GPU machine")
class TinyLlamaJointTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        from joint_fixtures import WorldSpec, write_iter0, write_world
        from llm_fixtures import tiny_base_model

        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = cls.tmp.name
        base = tiny_base_model(os.path.join(cls.root, "base"))
        cls.world = {**write_world(os.path.join(cls.root, "w")), **base}
        write_iter0(cls.world, WorldSpec(), d_model=HIDDEN)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def config(self, root: str, **kw: Any) -> dict[str, Any]:
        from joint_fixtures import joint_config

        return joint_config(root, self.world, **{"lora_r": 8, "lora_alpha": 16, "device": device(), "lr_lora": 5e-3, "lr_head": 5e-3, **kw})

    def built(self, **kw: Any) -> tuple[Any, Any]:
        from burnqed.joint.config import JointConfig
        from burnqed.joint.model import build_hf_prover

        cfg = JointConfig.from_dict(self.config(self.root, **kw))
        return cfg, build_hf_prover(cfg, "block_mask", torch.device(device()), cfg.head_config)

    def data(self, cfg: Any, build: Any) -> Any:
        from burnqed.joint.dataset import load_joint_dataset
        from burnqed.sft import load_examples

        return load_joint_dataset(cfg, build.tokenizer, load_examples(cfg.sft_config(), build.tokenizer), lambda w: None)

    # -----------------------------------------------------------------------------------------

    def test_lm_is_built_as_the_sft_job_builds_it(self) -> None:
        from burnqed.sft import build_model

        cfg, build = self.built()
        ref = build_model(cfg.sft_config(), "block_mask", torch.device(device()))
        mine = dict(build.prover.lm_named())
        theirs = dict(ref.named)
        self.assertEqual(sorted(mine), sorted(theirs))
        for n in mine:
            self.assertTrue(torch.equal(mine[n], theirs[n]), n)
        lora = build.prover.lm.peft_config["default"]
        self.assertEqual((lora.r, lora.lora_alpha, lora.lora_dropout), (8, 16, 0.05))
        self.assertEqual(set(lora.target_modules), {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"})
        for proj in lora.target_modules:
            self.assertTrue(any(f"{proj}.lora_B" in n for n in mine), proj)
        self.assertEqual(build.special_tokens["missing_before"], ["[GOAL]", "[PROOFSTEP]"])
        self.assertEqual(build.hidden_size, HIDDEN)

    def test_encoder_is_the_embedding_extractor(self) -> None:
        from burnqed.embed import EmbeddingExtractor, read_texts, tokenize_texts
        from burnqed.joint.model import storage_round

        cfg, build = self.built()
        texts = [t for t in read_texts(self.world["state_texts"]) if t][:6]
        ids = tokenize_texts(build.tokenizer, texts, cfg.embed_recipe)
        prover = build.prover.eval()
        with torch.no_grad():
            mine = prover.encode(ids)
        extractor = EmbeddingExtractor(prover.lm, build.tokenizer, cfg.embed_recipe)
        want = storage_round(extractor.encode(texts), cfg.embed_recipe.storage_dtype)
        tol = 0.0 if device() == "cpu" else 1e-6  # inference_mode may pick another GPU kernel than no_grad
        torch.testing.assert_close(mine, want, rtol=0, atol=tol)
        self.assertEqual(ids[0][-1], build.tokenizer.convert_tokens_to_ids("[PROOFSTEP]"))  # the markers are single tokens

    def test_packed_encoder_is_the_padded_one_in_every_packing_attention_mode(self) -> None:
        """The training step's encoder (encode_packed: sequences packed into rows under the SFT
        rows' mask) gives encode()'s embeddings and, through the energy path, its gradients."""
        from burnqed.embed import read_texts, tokenize_texts
        from burnqed.joint.config import JointConfig
        from burnqed.joint.model import build_hf_prover, pack_for_encoding
        from burnqed.joint.train import contrastive_backward, energy_encoder, step_context
        from burnqed.sft import enable_flex, resolve_attention

        modes = ["block_mask", "position_ids"] + (["flex"] if resolve_attention("auto", device()) == "flex" else [])
        for attention in modes:
            enable_flex(attention)
            cfg = JointConfig.from_dict(self.config(self.root, attention=attention))
            build = build_hf_prover(cfg, attention, torch.device(device()), cfg.head_config)
            prover = build.prover.eval()
            ctx = step_context(cfg, build, attention, torch.device(device()))
            texts = [t for t in read_texts(self.world["state_texts"]) if t][:10]
            ids = tokenize_texts(build.tokenizer, texts, cfg.embed_recipe)
            self.assertLess(len(set(pack_for_encoding(ids, ctx.max_tokens_per_row, build.pad_id)[1].tolist())), len(ids), attention)  # several sequences per row
            with torch.no_grad():
                packed, padded = prover.encode_packed(ids, ctx), prover.encode(ids)
            # float16 storage: one float16 step where the float32 values straddle a rounding boundary
            torch.testing.assert_close(packed, padded, rtol=2e-3, atol=2e-3, msg=attention)
            self.assertGreater(float(torch.nn.functional.cosine_similarity(packed, padded).min()), 0.9999, attention)
            with torch.no_grad():
                for n, p in prover.lm_named():
                    if "lora_B" in n:
                        p.normal_(0, 0.05)
            tokens = self.data(cfg, build).tokens(self.data(cfg, build).batch(0).groups)
            grads = []
            for encode in (energy_encoder(prover, "packed", ctx), energy_encoder(prover, "padded", ctx)):
                prover.zero_grad(set_to_none=True)
                contrastive_backward(prover, tokens, 1.0, 2, cfg.n_grad_negatives, cfg.goal_grad, encode)
                grads.append({n: p.grad.detach().double().clone() for n, p in prover.lm_named() if p.grad is not None})
            num = sum(float((grads[0][n] - grads[1][n]).pow(2).sum()) for n in grads[1])
            den = sum(float(grads[1][n].pow(2).sum()) for n in grads[1])
            self.assertGreater(den, 0.0, attention)
            self.assertLess((num / den) ** 0.5, 1e-2, attention)

    def test_energy_path_reaches_lora_token_rows_and_head_only_through_pos_and_hard_neg(self) -> None:
        from burnqed.joint.train import contrastive_backward

        cfg, build = self.built()
        data = self.data(cfg, build)
        prover = build.prover.train()
        calls: list[tuple[int, bool, bool]] = []
        original = prover.encode

        def spy(batch_ids: Any) -> torch.Tensor:
            z = original(batch_ids)
            calls.append((len(batch_ids), torch.is_grad_enabled(), z.requires_grad))
            return z

        tokens = data.tokens(data.batch(0).groups)
        with mock.patch.object(prover, "encode", spy):
            contrastive_backward(prover, tokens, 1.0, 2, cfg.n_grad_negatives, cfg.goal_grad)
        self.assertEqual(calls[:2], [(4, True, True), (calls[1][0], False, False)])  # 2 pos + 2 hard with grad; easy negatives and goals in one call without
        self.assertGreater(calls[1][0], 4)
        named = dict(prover.lm_named())
        for proj in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"):
            grads = [p.grad for n, p in named.items() if f"{proj}.lora_B" in n]
            self.assertTrue(grads and any(g is not None and float(g.abs().sum()) > 0 for g in grads), proj)  # B gets grad first (A's is 0 while B = 0)
        rows = [p for n, p in named.items() if "trainable_tokens" in n and "embed_tokens" in n]
        self.assertTrue(rows and all(float(p.grad.abs().sum()) > 0 for p in rows))  # the [GOAL]/[PROOFSTEP] rows are in every energy input
        self.assertTrue(all(float(p.grad.abs().sum()) > 0 for _, p in prover.head_named()))

    def test_easy_negatives_carry_no_gradient(self) -> None:
        from burnqed.joint.losses import group_energies, group_infonce

        cfg, build = self.built()
        data = self.data(cfg, build)
        prover = build.prover.eval()  # no LoRA dropout: the reference sees the same network
        with torch.no_grad():  # move B off 0 so every LoRA matrix has a gradient to compare
            for n, p in prover.lm_named():
                if "lora_B" in n:
                    p.normal_(0, 0.05)
        tokens = data.tokens(data.batch(1).groups).take(slice(0, 2))
        group_infonce(group_energies(prover, tokens, 1)).backward()
        got = {n: p.grad.clone() for n, p in prover.lm_named() if p.grad is not None}

        def reference(grad_negatives: int) -> dict[str, torch.Tensor]:
            prover.zero_grad(set_to_none=True)
            losses = []
            for i in range(len(tokens)):
                goal = prover.encode([tokens.goals[i]]).detach()
                zs = [prover.encode([tokens.positives[i]])] + [prover.encode([x]) if j < grad_negatives else prover.encode([x]).detach() for j, x in enumerate(tokens.negatives[i])]
                e = torch.cat([prover.head.score(z, goal) for z in zs])
                losses.append(torch.nn.functional.cross_entropy(-e[None], torch.zeros(1, dtype=torch.long, device=e.device)))
            torch.stack(losses).mean().backward()
            return {n: p.grad.clone() for n, p in prover.lm_named() if p.grad is not None}

        def rel(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
            return float(sum((a[n].double() - b[n].double()).pow(2).sum() for n in b).sqrt() / sum(b[n].double().pow(2).sum() for n in b).sqrt())

        self.assertLess(rel(got, reference(1)), 1e-4)
        self.assertGreater(rel(got, reference(3)), 1e-2)

    def test_a_head_that_is_not_iter0s_is_refused(self) -> None:
        from burnqed.joint import train
        from joint_fixtures import WorldSpec, write_iter0

        with tempfile.TemporaryDirectory() as root:
            paths = dict(self.world, iter0_head_pt=os.path.join(root, "head.pt"))
            write_iter0(paths, WorldSpec(), d_model=16)
            ev = EventFile(root, "e.jsonl")
            with self.assertRaisesRegex(ValueError, r"field 'd_model': iter_0 16, joint 64"):
                train.main(self.config(root, iter0_head_pt=paths["iter0_head_pt"]), ev.writer)
            ev.read()

    def test_job_resumes_bit_identically(self) -> None:
        from safetensors.torch import load_file

        from burnqed.joint import train

        results = []
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            for root, stops in ((a, [None]), (b, [5, None])):
                for stop in stops:
                    ev = EventFile(root, f"e{stop}.jsonl")
                    out = train.main(self.config(root, checkpoint_every_steps=100, stop_after_steps=stop), ev.writer)
                    events = ev.read()
                results.append((out, events, load_file(os.path.join(root, "out", "adapter", "adapter_model.safetensors")), torch.load(os.path.join(root, "out", "goal_conditioned_head.pt"))["state_dict"]))
            (full, _, want, head_a), (resumed, events, got, head_b) = results
            self.assertTrue(any(e["event"] == "warning" and "resuming from" in e["message"] for e in events))
            self.assertEqual(sorted(want), sorted(got))
            tol = 0.0 if device() == "cpu" else 1e-5  # GPU kernels need not be bitwise deterministic
            for n in want:
                self.assertTrue(torch.allclose(want[n], got[n], atol=tol, rtol=0), (n, float((want[n] - got[n]).abs().max())))
            for k in head_a:
                self.assertTrue(torch.allclose(head_a[k], head_b[k], atol=tol, rtol=0), k)
            for k in ("final_sft_loss", "final_infonce_loss", "val_rank1"):
                self.assertAlmostEqual(full[k], resumed[k], delta=tol * 100, msg=k)

    def test_subprocess_sigterm_then_restart(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg_path = os.path.join(root, "config.json")
            with open(cfg_path, "w") as f:
                json.dump(self.config(root, total_steps=24, eval_every_steps=12, checkpoint_every_steps=1000, log_every_steps=1), f)
            env = {**os.environ, "PYTHONPATH": PYTHON_ROOT}
            cmd = [sys.executable, "-m", "burnqed.joint.train", "--config", cfg_path]
            err_path = os.path.join(root, "stderr.log")
            with open(err_path, "w") as err, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env, text=True) as proc:  # a file: a full stderr pipe would block the job
                assert proc.stdout is not None
                for line in proc.stdout:
                    e = json.loads(line)
                    if e["event"] == "progress" and e.get("unit") == "steps" and e["step"] >= 3:
                        proc.send_signal(signal.SIGTERM)
                        break
                rest = [json.loads(line) for line in proc.stdout]
                code = proc.wait(timeout=300)
            with open(err_path) as f:
                self.assertEqual(code, 143, f.read()[-3000:])
            (ckpt,) = [e["path"] for e in rest if e["event"] == "artifact" and e["kind"] == "checkpoint"]
            step = int(ckpt[-9:-3])
            done = subprocess.run(cmd, capture_output=True, env=env, text=True, timeout=900)
            self.assertEqual(done.returncode, 0, done.stderr[-3000:])
            events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
            self.assertTrue(any(e["event"] == "warning" and f"at step {step} of 24" in e["message"] for e in events))
            self.assertEqual(events[-1]["summary"]["steps"], 24)

    def test_export_merged_model_and_head_score_like_the_live_model(self) -> None:
        from peft import PeftModel

        from burnqed.embed import EmbeddingExtractor, tokenize_texts
        from burnqed.export import export_onnx, fold_head
        from burnqed.hf_loading import load_causal_lm, load_tokenizer
        from burnqed.joint.model import storage_round
        from burnqed.joint.train import joint_step, make_optimizer, step_context

        cfg, build = self.built(lr_lora=5e-2, lr_head=5e-2)
        data = self.data(cfg, build)
        prover = build.prover.train()
        lm, head = [p for _, p in prover.lm_named()], [p for _, p in prover.head_named()]
        opt = make_optimizer(cfg, lm, head)
        ctx = step_context(cfg, build, "block_mask", torch.device(device()))
        for step in range(3):
            b = data.batch(step)
            joint_step(prover, opt, lm, head, [data.sft_train[i] for i in b.sft], data.tokens(b.groups), cfg.lambda_ebm, cfg, ctx)
            opt.step()
        prover.eval()
        rows = data.val_plan.group_rows[:8]
        ids, goal_ids = data.states.rows(rows), data.goals.rows(data.goal_index[rows])
        with torch.no_grad():
            z_live, g_live = prover.encode(ids), prover.encode(goal_ids)
            e_live = prover.head.score(z_live, g_live).cpu()
        with tempfile.TemporaryDirectory() as root:
            build.save_adapter(os.path.join(root, "adapter"), {"kind": "joint_adapter", "embedding_rows": build.embedding_rows})
            base = load_causal_lm(cfg.model_dir, "float32")
            base.resize_token_embeddings(build.embedding_rows, mean_resizing=False)
            merged = PeftModel.from_pretrained(base, os.path.join(root, "adapter")).merge_and_unload().to(device()).eval()
            tokenizer = load_tokenizer(os.path.join(root, "adapter"))
            self.assertEqual(tokenize_texts(tokenizer, ["x"], cfg.embed_recipe), tokenize_texts(build.tokenizer, ["x"], cfg.embed_recipe))
            ex = EmbeddingExtractor(merged, tokenizer, cfg.embed_recipe)
            z_merged = storage_round(ex.embed_ids(ids), "float16")
            g_merged = storage_round(ex.embed_ids(goal_ids), "float16")
            torch.testing.assert_close(z_merged, z_live, rtol=0, atol=2e-3)  # float32 merge; float16 storage rounding at most one ulp apart
            head_cpu = prover.head.cpu()
            folded = fold_head(head_cpu)
            with torch.no_grad():
                e_merged = folded(z_merged.cpu(), g_merged.cpu())
            torch.testing.assert_close(e_merged, e_live, rtol=1e-3, atol=1e-3)
            if onnxruntime is not None and onnx is not None:
                path = os.path.join(root, "head.onnx")
                export_onnx(head_cpu, path)
                session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
                (e_onnx,) = session.run(None, {"z_state": z_merged.cpu().numpy(), "z_goal": g_merged.cpu().numpy()})
                np.testing.assert_allclose(e_onnx, e_merged.numpy(), rtol=1e-5, atol=1e-5)

    def test_job_export_with_merge(self) -> None:
        from burnqed.joint import train

        with tempfile.TemporaryDirectory() as root:
            ev = EventFile(root, "e.jsonl")
            summary = train.main(self.config(root, total_steps=6, merge_model=True, export_onnx=onnx is not None, export_check_rows=8), ev.writer)
            ev.read()
            self.assertTrue(summary["merge"]["passed"])
            self.assertLess(summary["merge"]["merged_vs_adapter"]["max_abs_logprob_diff"], 1e-3)  # merge_lora's check, float32
            check = summary["export_check"]
            self.assertEqual(check["rows"], 8)
            self.assertGreaterEqual(check["pair_order_agreement"], 0.9)  # the saved folder is bfloat16
            for f in ("config.json", "tokenizer.json"):
                self.assertTrue(os.path.exists(os.path.join(root, "out", "merged", f)), f)
            self.assertEqual(os.path.exists(os.path.join(root, "out", "goal_conditioned_head.onnx")), onnx is not None)

    def test_smoke_on_a_random_init_model(self) -> None:
        from burnqed.joint import smoke
        from joint_fixtures import TEST_RECIPE

        shape = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 1000}
        joint = {"dtype": "float32", "embed_recipe": dataclasses.asdict(TEST_RECIPE), "hidden_dims": [32, 16, 8], "lora_r": 8, "lora_alpha": 16}
        base = {"random_init": "deepseek_prover_v1_5", "random_init_overrides": shape, "device": device(), "sft_examples": 4, "sft_prompt_tokens": 40, "sft_completion_tokens": 8,
                "groups": 4, "state_tokens": 48, "goal_tokens": 32, "joint": joint}
        with tempfile.TemporaryDirectory() as root:
            ev = EventFile(root, "smoke.jsonl")
            summary = smoke.main({**base, "out_summary": os.path.join(root, "smoke.json")}, ev.writer)
            ev.read()
            self.assertTrue(summary["passed"], summary["failures"])
            for key in ("grad_norm_lora", "grad_norm_lora_from_energy", "grad_norm_head"):
                self.assertGreater(summary[key], 0.0, key)
            self.assertEqual(summary["trainable_parameters"]["head"], (3 * 64 * 32 + 32) + (32 * 16 + 16) + (16 * 8 + 8) + (8 + 1) + 1)
            # the timed steps after warm-up: joint and SFT-only on the same batch, and their ratio
            self.assertEqual(summary["timed_steps"], 2)
            self.assertGreater(summary["timed_sft_only_step_s"], 0.0)
            self.assertAlmostEqual(summary["joint_over_sft_step"], summary["timed_joint_step_s"] / summary["timed_sft_only_step_s"])
            self.assertNotIn("by_groups", summary)
            # the realistic length mix under the caps, and the groups/step trade-off in the same run
            variants = [{"energy_encode": "padded"}, {"groups_per_micro_batch": 4}]
            mixed = smoke.main({**base, "lengths": "realistic", "timed_groups": [1, 2], "timed_variants": variants}, EventFile(root, "mixed.jsonl").writer)
            self.assertTrue(mixed["passed"], mixed["failures"])
            self.assertEqual([v["layout"] for v in mixed["variants"]], [{"energy_encode": "packed", "groups_per_micro_batch": 2}, {"energy_encode": "padded", "groups_per_micro_batch": 2},
                                                                        {"energy_encode": "packed", "groups_per_micro_batch": 4}])
            self.assertTrue(all(r["peak_mem_mb"] is None or r["peak_mem_mb"] > 0 for v in mixed["variants"] for r in v["by_groups"]))
            self.assertEqual(mixed["variants"][0]["by_groups"], mixed["by_groups"])
            self.assertTrue(all([r["groups"] for r in v["by_groups"]] == [1, 2, 4] and all(r["joint_step_s"] > 0 for r in v["by_groups"]) for v in mixed["variants"]))
            self.assertEqual([r["groups"] for r in mixed["by_groups"]], [1, 2, 4])
            self.assertEqual(mixed["by_groups"][-1]["joint_step_s"], mixed["timed_joint_step_s"])
            self.assertEqual(mixed["by_groups"][-1]["encode_tokens"], mixed["encode_tokens"])
            tokens = [r["encode_tokens"] for r in mixed["by_groups"]]
            self.assertEqual(tokens, sorted(set(tokens)))
            self.assertLessEqual(mixed["encode_tokens"], 4 * (4 * 48 + 32))  # every state and goal under its cap
            self.assertNotEqual(mixed["encode_tokens"], summary["encode_tokens"])
            ev = EventFile(root, "bad.jsonl")
            with self.assertRaisesRegex(JobAbort, r"grad_norm_lora_from_energy is 0\.0 \(no gradient\); grad_norm_head is 0\.0"):
                smoke.main({**base, "joint": {**joint, "lambda_ebm": 0.0}}, ev.writer)
            ev.read()


if __name__ == "__main__":
    unittest.main()
