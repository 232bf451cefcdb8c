"""JointConfig: its defaults are the plan's values (pinned here, as test_sft.py pins the SFT recipe),
unknown keys and inconsistent values are errors naming the key, remedies are the abort rules' of
src/jobs/abort-rules.ts, and the fingerprint covers the recipe and the data but not the run controls."""
from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import unittest

from burnqed.embed import DEFAULT_RECIPE
from burnqed.joint.config import REMEDIES, JointConfig, base_fingerprint, data_hashes, restart_fingerprint
from joint_fixtures import joint_config, write_world

HERE = os.path.dirname(os.path.abspath(__file__))
ABORT_RULES_TS = os.path.join(HERE, "..", "..", "src", "jobs", "abort-rules.ts")

PATH_KEYS = ("model_dir", "train_jsonl", "val_jsonl", "plan_dir", "state_texts", "goal_texts", "goal_index", "iter0_head_pt", "iter0_embedding_meta",
             "out_adapter_dir", "out_merged_dir", "out_merge_summary", "out_head_pt", "out_head_onnx", "out_summary", "checkpoint_dir")
PATHS = {k: f"/r/{k}" for k in PATH_KEYS}

# plan Task 4.1: --lora-rank 64 --lr-lora 2e-5 --lr-ebm 3e-5 --lambda-ebm 0.1 --total-steps 6000 --warmup-steps 300
# --k-negatives 3 --hard-ratio 0.6 --eval-every 500 --save-every 1000; Task 3.2: alpha 128, dropout 0.05 on the 7
# projections, the iter_0 head (2048, 1024, 512); Task 3.4: grad through pos + 1 hard neg, temperature every 50 steps
PLAN_JOINT_RECIPE = {
    "lora_r": 64,
    "lora_alpha": 128,
    "lora_dropout": 0.05,
    "lora_target_modules": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "lr_lora": 2e-5,
    "lr_head": 3e-5,
    "lambda_ebm": 0.1,
    "total_steps": 6000,
    "warmup_steps": 300,
    "k_negatives": 3,
    "hard_ratio": 0.6,
    "n_grad_negatives": 1,
    "hidden_dims": (2048, 1024, 512),
    "eval_every_steps": 500,
    "checkpoint_every_steps": 1000,
    "temperature_every_steps": 50,
}
# what the plan leaves out: the decoupled recipes' values on each side (SFT job: LoRA side; train_ebm: head), lab choices, run controls
UNSTATED_DEFAULTS = {
    "tokenizer_dir": None,
    "lr_schedule": "linear",
    "goal_grad": False,
    "sft_examples_per_step": 16,
    "groups_per_step": 16,
    "max_length": 2048,
    "dtype": "bfloat16",
    "embed_recipe": DEFAULT_RECIPE,
    "head_dropout": 0.15,
    "head_init": "fresh",
    "weight_decay_lora": 0.0,
    "weight_decay_head": 0.01,
    "adam_betas": (0.9, 0.999),
    "adam_eps": 1e-8,
    "grad_clip_norm_lora": 1.0,
    "grad_clip_norm_head": 1.0,
    "seed": 0,
    "special_tokens_mode": "trainable_token_rows",
    "log_every_steps": 10,
    "eval_at_start": True,
    "eval_max_groups": 512,
    "eval_max_anchors": 512,
    "eval_max_sft_examples": 256,
    "probe_folds": 5,
    "probe_c": 1.0,
    "probe_max_iter": 1000,
    "device": "auto",
    "attention": "block_mask",
    "attn_implementation": "sdpa",
    "max_tokens_per_row": 2048,
    "rows_per_micro_batch": 1,
    "groups_per_micro_batch": 4,
    "energy_encode": "packed",
    "encode_max_tokens": 16384,
    "encode_max_batch": 64,
    "pad_to_multiple_of": None,
    "logits_on_completion_only": True,
    "gradient_checkpointing": False,
    "keep_checkpoints": 3,
    "stop_after_steps": None,
    "merge_model": True,
    "export_onnx": True,
    "export_check_rows": 64,
    "resume_from_checkpoint": None,
    "remedy": None,
    "lambda_override": None,
    "debug_force": None,
}


def abort_rules_ts() -> list[dict[str, str]]:
    """id, metric and remedy of every rule in TASK_4_1_ABORT_RULES (read from the TypeScript source)."""
    with open(ABORT_RULES_TS, encoding="utf-8") as f:
        text = f.read()
    block = text[text.index("TASK_4_1_ABORT_RULES") :]
    block = block[: block.index("]);")]
    return [dict(zip(("id", "metric", "remedy"), m)) for m in re.findall(r'id: "([^"]+)",\s*metric: "([^"]+)",.*?remedy: "([^"]+)"', block, flags=re.S)]


def abort_threshold(rule_id: str) -> float:
    """The threshold of one rule of TASK_4_1_ABORT_RULES."""
    with open(ABORT_RULES_TS, encoding="utf-8") as f:
        return float(re.search(rf'id: "{re.escape(rule_id)}",.*?threshold: ([0-9.]+)', f.read(), flags=re.S).group(1))


class DefaultsTest(unittest.TestCase):
    def test_defaults_are_the_plans_values(self) -> None:
        cfg = JointConfig(**PATHS)
        for key, value in {**PLAN_JOINT_RECIPE, **UNSTATED_DEFAULTS}.items():
            self.assertEqual(getattr(cfg, key), value, key)
        pinned = {f.name for f in dataclasses.fields(JointConfig)} - set(PATH_KEYS)
        self.assertEqual(pinned, set(PLAN_JOINT_RECIPE) | set(UNSTATED_DEFAULTS))  # every default is pinned above
        self.assertEqual(cfg.n_hard_negatives(), 2)  # round(0.6 x 3): the grad negative is one of two hard ones

    def test_head_config_is_the_decoupled_trainers(self) -> None:
        from burnqed.ebm_head import EnergyHeadConfig
        from burnqed.train_ebm import TrainEbmConfig

        ebm = {f.name: f.default for f in dataclasses.fields(TrainEbmConfig) if f.default is not dataclasses.MISSING}
        cfg = JointConfig(**PATHS)
        self.assertEqual(cfg.head_config(4096), EnergyHeadConfig(d_model=4096, hidden_dims=ebm["hidden_dims"], dropout=ebm["dropout"]))
        self.assertEqual((cfg.k_negatives, cfg.hard_ratio), (ebm["k_negatives"], ebm["hard_ratio"]))

    def test_sft_half_is_the_sft_jobs_config(self) -> None:
        sft = JointConfig(**PATHS).sft_config()
        self.assertEqual((sft.lora_r, sft.lora_alpha, sft.lora_dropout, sft.lr, sft.examples_per_step, sft.max_length), (64, 128, 0.05, 2e-5, 16, 2048))
        self.assertEqual((sft.out_dir, sft.train_jsonl, sft.special_tokens_mode, sft.attention), ("/r/out_adapter_dir", "/r/train_jsonl", "trainable_token_rows", "block_mask"))


class StrictTest(unittest.TestCase):
    def test_unknown_and_missing_keys(self) -> None:
        with self.assertRaisesRegex(ValueError, r"unknown key\(s\) \['lora_rank'\]"):
            JointConfig.from_dict({**PATHS, "lora_rank": 64})
        with self.assertRaisesRegex(ValueError, r"missing key\(s\) \['plan_dir'\]"):
            JointConfig.from_dict({k: v for k, v in PATHS.items() if k != "plan_dir"})
        with self.assertRaisesRegex(ValueError, r"debug_force: unknown key\(s\) \['collapse'\]"):
            JointConfig.from_dict({**PATHS, "debug_force": {"collapse": True}})

    def test_inconsistent_values_name_the_key(self) -> None:
        cases = [
            ({"dtype": "float32"}, "'dtype' must be the embedding recipe's compute_dtype 'bfloat16'"),
            ({"n_grad_negatives": 3}, "'n_grad_negatives' must be <= the 2 hard negatives"),
            ({"warmup_steps": 6000}, "'warmup_steps' must be an integer in"),
            ({"max_tokens_per_row": 1024}, "'max_tokens_per_row' must be >= max_length 2048"),
            ({"head_init": "warm"}, "'head_init' must be one of"),
            ({"debug_force": {"nan_at_step": 0}}, "nan_at_step must be a positive step number"),
            ({"lr_lora": 0}, "'lr_lora' must be > 0"),
        ]
        for override, message in cases:
            with self.assertRaisesRegex(ValueError, re.escape(message), msg=str(override)):
                JointConfig.from_dict({**PATHS, **override})

    def test_restart_keys(self) -> None:
        with self.assertRaisesRegex(ValueError, "need 'resume_from_checkpoint'"):
            JointConfig.from_dict({**PATHS, "remedy": "centroid_l2_below_3"})
        with self.assertRaisesRegex(ValueError, "not both"):
            JointConfig.from_dict({**PATHS, "resume_from_checkpoint": "/c.pt", "remedy": "centroid_l2_below_3", "lambda_override": 0.2})
        with self.assertRaisesRegex(ValueError, "an investigation, not a config change"):
            JointConfig.from_dict({**PATHS, "resume_from_checkpoint": "/c.pt", "remedy": "ebm_rank1_below_0.25_after_2000"})
        cfg = JointConfig.from_dict({**PATHS, "resume_from_checkpoint": "/c.pt", "remedy": "sft_loss_above_0.5_after_2000"})
        self.assertEqual(cfg.restart_lambda(), 0.03)
        self.assertEqual(JointConfig.from_dict({**PATHS, "resume_from_checkpoint": "/c.pt", "lambda_override": 0.2}).restart_lambda(), 0.2)
        self.assertIsNone(JointConfig.from_dict({**PATHS, "resume_from_checkpoint": "/c.pt"}).restart_lambda())


class RemediesTest(unittest.TestCase):
    def test_remedies_are_the_ts_rules_with_the_plans_lambdas(self) -> None:
        rules = {r["id"]: r for r in abort_rules_ts()}
        self.assertEqual(len(rules), 5, rules)
        for rule_id, remedy in REMEDIES.items():
            self.assertIn(rule_id, rules)
            ts_lambda = float(re.search(r"λ to ([0-9.]+)", rules[rule_id]["remedy"]).group(1))  # "increase λ to 0.3, restart from checkpoint"
            self.assertEqual(remedy.lambda_ebm, ts_lambda, rule_id)
        self.assertEqual({REMEDIES["centroid_l2_below_3"].lambda_ebm, REMEDIES["sft_loss_above_0.5_after_2000"].lambda_ebm}, {0.3, 0.03})

    def test_the_watched_metric_names(self) -> None:
        self.assertEqual({r["metric"] for r in abort_rules_ts()} - {"*"}, {"centroid_l2", "sft_loss", "ebm_rank1", "temperature"})


class FingerprintTest(unittest.TestCase):
    def test_recipe_and_data_not_controls(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            raw = joint_config(root, write_world(os.path.join(root, "w")))
            cfg = JointConfig.from_dict(raw)
            hashes = data_hashes(cfg)
            self.assertEqual(set(hashes), {"train_jsonl", "val_jsonl", "state_texts", "goal_texts", "goal_index", "plan_dir"})
            fp = base_fingerprint(cfg, hashes)
            for recipe in ({"lambda_ebm": 0.3}, {"lr_lora": 1e-3}, {"k_negatives": 4}, {"seed": 1}, {"embed_recipe": {**raw["embed_recipe"], "max_length": 256}}):
                self.assertNotEqual(base_fingerprint(JointConfig.from_dict({**raw, **recipe}), hashes), fp, recipe)
            for control in ({"eval_every_steps": 7}, {"groups_per_micro_batch": 1}, {"debug_force": {"collapse_centroids": True}}, {"out_summary": "/elsewhere.json"}, {"stop_after_steps": 3}):
                self.assertEqual(base_fingerprint(JointConfig.from_dict({**raw, **control}), hashes), fp, control)
            self.assertNotEqual(base_fingerprint(cfg, {**hashes, "state_texts": "0" * 64}), fp)
            # the base model rewritten in place with the same shape (a new merge): another model
            model_dir = cfg.model_dir
            os.makedirs(model_dir, exist_ok=True)
            weights = os.path.join(model_dir, "model.safetensors")
            with open(weights, "wb") as f:
                f.write(b"\0" * 64)
            before = base_fingerprint(cfg, hashes)
            self.assertEqual(base_fingerprint(cfg, hashes), before)
            st = os.stat(weights)
            os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
            self.assertNotEqual(base_fingerprint(cfg, hashes), before)
            with open(os.path.join(model_dir, "config.json"), "w") as f:
                f.write('{"hidden_size": 8}')
            self.assertNotEqual(base_fingerprint(cfg, hashes), before)
            self.assertNotEqual(restart_fingerprint(fp, 4, 0.3), restart_fingerprint(fp, 4, 0.03))
            self.assertNotEqual(restart_fingerprint(fp, 4, 0.3), restart_fingerprint(fp, 8, 0.3))

    def test_an_empty_plan_dir_is_named(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            raw = joint_config(root, write_world(os.path.join(root, "w")))
            os.makedirs(os.path.join(root, "empty"))
            with self.assertRaisesRegex(ValueError, "plan_dir .*empty holds no .npy files"):
                data_hashes(JointConfig.from_dict({**raw, "plan_dir": os.path.join(root, "empty")}))


if __name__ == "__main__":
    unittest.main()
