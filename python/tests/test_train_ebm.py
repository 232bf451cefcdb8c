"""Decoupled trainer on planted data: learns, resumes exactly, guards NaN, rejects bad input."""
from __future__ import annotations

import json
import os
import tempfile
import unittest
from typing import Any

import numpy as np
import torch

from burnqed.contrastive_plan import exclude_rows, load_split, sample_negatives
from burnqed.events import EventWriter, JobAbort
from burnqed.train_ebm import TrainEbmConfig, rank1, train
from ebm_fixtures import planted_world, train_config


class Run:
    """train() with an event file; events parsed back."""

    def __init__(self, root: str) -> None:
        self.path = os.path.join(root, f"events-{len(os.listdir(root))}.jsonl")

    def __call__(self, cfg: dict[str, Any]) -> dict[str, Any]:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            return train(TrainEbmConfig.from_dict(cfg), EventWriter(fd))
        finally:
            os.close(fd)

    def events(self) -> list[dict[str, Any]]:
        with open(self.path) as f:
            return [json.loads(l) for l in f if l.strip()]

    def metric(self, name: str) -> list[tuple[int, float]]:
        return [(e["step"], e["value"]) for e in self.events() if e["event"] == "metric" and e["name"] == name]


class TrainingLearnsTest(unittest.TestCase):
    def test_loss_decreases_and_rank1_beats_chance(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            paths = planted_world(root)
            run = Run(root)
            summary = run(train_config(root, paths))
            val_loss = run.metric("val_loss")
            self.assertEqual(val_loss[0][0], 0)  # the untrained head is evaluated first
            self.assertAlmostEqual(val_loss[0][1], np.log(4), delta=0.1)  # ≈ log(1 + K) before training
            self.assertLess(val_loss[-1][1], val_loss[0][1] - 0.25)
            train_loss = run.metric("loss")
            self.assertLess(train_loss[-1][1], train_loss[0][1])
            self.assertAlmostEqual(summary["val_rank1_chance"], 0.25)  # one positive among four siblings
            self.assertGreaterEqual(summary["val_rank1"], 0.75)
            self.assertEqual(summary["steps"], 6 * 6)  # 48 anchors / batch 8 × 6 epochs
            arch = summary["head_architecture"]  # the A/B/C comparison compares this across configs
            self.assertEqual((arch["d_model"], tuple(arch["hidden_dims"])), (summary["d_model"], tuple(train_config(root, paths)["hidden_dims"])))
            temps = run.metric("temperature")
            self.assertEqual([s for s, _ in temps[:3]], [3, 6, 9])  # every temperature_every_steps
            self.assertTrue(os.path.exists(os.path.join(root, "out", "head.pt")))


class ResumeTest(unittest.TestCase):
    def test_resumed_run_ends_where_an_uninterrupted_run_ends(self) -> None:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            pa, pb = planted_world(a), planted_world(b)
            full = Run(a)(train_config(a, pa))
            run_b = Run(b)
            stopped = run_b(train_config(b, pb, stop_after_steps=14))  # mid-epoch (6 steps per epoch)
            self.assertEqual(stopped["stopped_at_step"], 14)
            self.assertTrue(os.path.exists(os.path.join(b, "ckpt", "train_ebm_checkpoint.pt")))
            resumed = run_b(train_config(b, pb))
            self.assertTrue(any("resuming from" in e.get("message", "") for e in run_b.events()))
            sa = torch.load(os.path.join(a, "out", "head.pt"))["state_dict"]
            sb = torch.load(os.path.join(b, "out", "head.pt"))["state_dict"]
            self.assertEqual(sorted(sa), sorted(sb))
            for k in sa:
                self.assertTrue(torch.equal(sa[k], sb[k]), k)
            for k in ("val_loss", "val_rank1", "train_rank1", "temperature", "steps", "final_train_loss"):
                self.assertEqual(full[k], resumed[k], k)
            # the head records its recipe, not where it was trained: two folders, the same bytes
            with open(os.path.join(a, "out", "head.pt"), "rb") as fa, open(os.path.join(b, "out", "head.pt"), "rb") as fb:
                self.assertEqual(fa.read(), fb.read())

    def test_sigterm_checkpoints_at_a_step_boundary_and_the_job_resumes(self) -> None:
        import signal
        import subprocess
        import sys

        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            pa, pb = planted_world(a), planted_world(b)
            full = Run(a)(train_config(a, pa, epochs=30))
            cfg_path = os.path.join(b, "config.json")
            with open(cfg_path, "w") as f:
                json.dump(train_config(b, pb, epochs=30), f)
            cmd = [sys.executable, "-m", "burnqed.train_ebm", "--config", cfg_path]
            env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
            with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True) as proc:
                assert proc.stdout is not None
                for line in proc.stdout:  # stop it once training is under way
                    e = json.loads(line)
                    if e["event"] == "progress" and e["step"] >= 30:
                        proc.send_signal(signal.SIGTERM)
                        break
                proc.stdout.read()
                self.assertEqual(proc.wait(timeout=60), 143)
            ckpt = torch.load(os.path.join(b, "ckpt", "train_ebm_checkpoint.pt"))
            stopped_at = ckpt["position"]["global_step"]
            self.assertGreaterEqual(stopped_at, 30)
            self.assertLess(stopped_at, 180)
            done = subprocess.run(cmd, capture_output=True, env=env, text=True, timeout=120)
            self.assertEqual(done.returncode, 0, done.stderr[-2000:])
            sa = torch.load(os.path.join(a, "out", "head.pt"))["state_dict"]
            sb = torch.load(os.path.join(b, "out", "head.pt"))["state_dict"]
            for k in sa:
                self.assertTrue(torch.equal(sa[k], sb[k]), k)
            self.assertEqual(full["steps"], 180)

    def test_checkpoint_of_another_config_is_ignored(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            paths = planted_world(root)
            run = Run(root)
            run(train_config(root, paths, stop_after_steps=4))
            run(train_config(root, paths, lr=1e-3, epochs=1))
            self.assertTrue(any("ignoring checkpoint" in e.get("message", "") for e in run.events()))


class BadInputTest(unittest.TestCase):
    def test_goal_index_length_mismatch_names_both_files(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            paths = planted_world(root)
            np.save(paths["goal_index"], np.zeros(5, dtype=np.int32))
            with self.assertRaisesRegex(ValueError, r"goal_index\.npy: expected an integer array of \d+ entries \(one per row of .*states\.npy\)"):
                Run(root)(train_config(root, paths))

    def test_goal_row_out_of_range_reads_as_missing_goal(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            paths = planted_world(root)
            gi = np.load(paths["goal_index"])
            gi[7] = 999
            np.save(paths["goal_index"], gi)
            with self.assertRaisesRegex(ValueError, r"row 7 points at goal row 999.*missing goal"):
                Run(root)(train_config(root, paths))

    def test_nan_embeddings_are_counted_and_excluded(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            paths = planted_world(root)
            x = np.load(paths["states"])
            x[[0, 5, 9]] = np.nan  # an anchor (row 0) and two negatives
            x[13] = 0.0  # an all-zero vector
            np.save(paths["states"], x)
            run = Run(root)
            summary = run(train_config(root, paths, epochs=1))
            self.assertEqual(summary["excluded_unusable_rows"], 4)
            self.assertEqual(summary["train_anchors"], 47)
            self.assertTrue(any(e["event"] == "warning" and "4 planned rows" in e["message"] for e in run.events()))
            self.assertTrue(np.isfinite(summary["val_loss"]))

    def test_a_split_without_negatives(self) -> None:
        """A small search can fail nowhere in the held-out theorems: training goes on without a
        validation loss (warned); a training split without negatives is an error naming the plan."""
        from ebm_fixtures import plan_file

        def strip_negatives(plan_dir: str, split: str) -> None:
            a = np.load(plan_file(plan_dir, split, "anchors"))
            t = np.load(plan_file(plan_dir, split, "theorem_neg_offsets"))
            for name, v in {"sibling_offsets": np.zeros(a.size + 1), "sibling_rows": [], "theorem_neg_offsets": np.zeros(t.size), "theorem_neg_rows": [],
                            "group_offsets": [0], "group_rows": [], "group_is_positive": []}.items():
                np.save(plan_file(plan_dir, split, name), np.array(v, dtype=np.int64))

        with tempfile.TemporaryDirectory() as root:
            paths = planted_world(root)
            strip_negatives(paths["plan_dir"], "val")
            run = Run(root)
            summary = run(train_config(root, paths, epochs=1))
            self.assertIsNone(summary["val_loss"])
            self.assertTrue(any(e["event"] == "warning" and "validation split has" in e["message"] and "no negative row" in e["message"] for e in run.events()))
            strip_negatives(paths["plan_dir"], "train")
            with self.assertRaisesRegex(ValueError, r"training anchors but no negative row in the training split"):
                Run(root)(train_config(root, paths, epochs=1))

    def test_non_finite_steps_are_skipped_then_abort(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            paths = planted_world(root)
            np.save(paths["states"], np.load(paths["states"]) * np.float32(1e30))  # finite, but the features overflow
            run = Run(root)
            with self.assertRaisesRegex(JobAbort, "non-finite steps in a row"):
                run(train_config(root, paths, max_nonfinite_steps=2))
            warnings = [e for e in run.events() if e["event"] == "warning" and "step skipped" in e["message"]]
            self.assertEqual(len(warnings), 3)
            self.assertEqual(run.metric("loss")[-1][1], "NaN")

    def test_unknown_config_key(self) -> None:
        with self.assertRaisesRegex(ValueError, "unknown key.*'lr_ebm'"):
            TrainEbmConfig.from_dict({"lr_ebm": 1})


class PlanHelpersTest(unittest.TestCase):
    def test_negatives_come_from_siblings_first_then_other_theorems(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            paths = planted_world(root)
            plan = load_split(paths["plan_dir"], "train", 10_000)
            negs, tiers = sample_negatives(plan, 3, 0.6, np.random.default_rng(0))
            # round(0.6·3) = 2 hard from the 3 siblings, 1 easy from another theorem
            self.assertEqual(tiers, {"sibling": 2 * plan.n_anchors, "same_theorem": 0, "other_theorem": plan.n_anchors})
            gi = np.load(paths["goal_index"])
            for a in range(plan.n_anchors):
                sib = set(plan.sibling_rows[plan.sibling_offsets[a] : plan.sibling_offsets[a + 1]].tolist())
                self.assertTrue(set(negs[a, :2].tolist()) <= sib)
                self.assertEqual(len(set(negs[a, :2].tolist())), 2)  # without replacement
                self.assertNotEqual(gi[negs[a, 2]], gi[plan.anchors[a]])

    def test_rank1_counts_groups_whose_minimum_is_positive(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            plan = load_split(planted_world(root, n_train=1, n_val=1, groups=2)["plan_dir"], "train", 10_000)
            # group 0: positive lowest; group 1: a negative lowest
            acc, chance, n = rank1(plan, np.array([0.0, 1.0, 2.0, 3.0, 5.0, 1.0, 6.0, 7.0]))
            self.assertEqual((acc, chance, n), (0.5, 0.25, 2))

    def test_exclusion_drops_groups_without_both_labels(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            plan = load_split(planted_world(root, n_train=1, n_val=1, groups=2)["plan_dir"], "train", 10_000)
            keep = np.ones(16, dtype=bool)
            keep[0] = False  # the positive of group 0
            p = exclude_rows(plan, keep)
            self.assertEqual(p.anchors.tolist(), [4])
            self.assertEqual(p.n_groups, 1)
            self.assertEqual(p.sibling_offsets.tolist(), [0, 3])
            self.assertEqual(p.theorem_neg_rows.tolist(), [1, 2, 3, 5, 6, 7])


if __name__ == "__main__":
    unittest.main()
