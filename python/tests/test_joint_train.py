"""The joint training job over the pure-torch stand-in (tests/joint_fixtures.py): the metrics the TS
abort rules watch are emitted at the plan's cadence; it learns; a resumed run ends bit-identical to
an uninterrupted one; NaN aborts before the optimizer step keeping the last checkpoint; SIGTERM
checkpoints at a step boundary (in process and as a subprocess job); restarts with a remedy
change λ from the checkpoint's step and are recorded; a planted collapse emits centroid_l2 < 3;
a head or recipe that differs from iter_0's is refused naming the field; the head is exported in
the decoupled trainer's format."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest
from typing import Any, Callable, Optional
from unittest import mock

import numpy as np
import torch

from burnqed.ebm_head import load_head
from burnqed.events import EventWriter, JobAbort, JobTerminated
from burnqed.joint import train
from burnqed.joint.checkpoint import NAME_RE
from joint_fixtures import WorldSpec, joint_config, stand_in_build, write_iter0, write_world
from test_joint_config import abort_rules_ts, abort_threshold

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_ROOT = os.path.dirname(HERE)

try:
    import onnx
except ImportError:  # pragma: no cover - Debian's python3-onnx is installed by scripts/ensure-python.sh
    onnx = None
try:
    import onnxruntime
except ImportError:
    onnxruntime = None


class Job:
    """burnqed.joint.train.main over the stand-in, with an event file read back."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.n = 0
        self.build: Any = None
        self.path = ""

    def __call__(self, cfg: dict[str, Any], lm_seed: int = 0, on_forward: Optional[Callable[[int], None]] = None) -> dict[str, Any]:
        self.n += 1
        self.path = os.path.join(self.root, f"events-{self.n}.jsonl")

        def build(*args: Any) -> Any:
            self.build = stand_in_build(*args, lm_seed=lm_seed)
            self.build.prover.lm.model.on_forward = on_forward
            return self.build

        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            with mock.patch.object(train, "build_prover", build):
                return train.main(cfg, EventWriter(fd))
        finally:
            os.close(fd)

    def events(self) -> list[dict[str, Any]]:
        with open(self.path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def metric(self, name: str) -> list[tuple[int, Any]]:
        return [(e["step"], e["value"]) for e in self.events() if e["event"] == "metric" and e["name"] == name]

    def lm_params(self) -> dict[str, torch.Tensor]:
        return {n: p.detach().clone() for n, p in self.build.prover.lm.named_parameters()}


def setup(root: str, **overrides: Any) -> dict[str, Any]:
    return joint_config(root, write_world(os.path.join(root, "w")), **overrides)


def checkpoint_files(directory: str) -> list[tuple[int, str]]:
    """(step, path) of every joint checkpoint in ``directory``, by step."""
    found = [(NAME_RE.match(name), name) for name in os.listdir(directory)]
    return sorted((int(m.group(2)), os.path.join(directory, name)) for m, name in found if m)


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class SparseSplitTest(unittest.TestCase):
    def test_a_held_out_split_without_negatives_trains_with_the_sft_loss_only(self) -> None:
        """A small search that never failed on the held-out theorems: no groups, no contrastable
        anchor. Training runs; the evaluations carry the SFT loss only, and a warning says why."""
        from burnqed.contrastive_plan import plan_file

        with tempfile.TemporaryDirectory() as root:
            cfg = setup(root)
            plan_dir = cfg["plan_dir"]
            a = np.load(plan_file(plan_dir, "val", "anchors"))
            t = np.load(plan_file(plan_dir, "val", "theorem_neg_offsets"))
            for name, v in {"sibling_offsets": np.zeros(a.size + 1), "sibling_rows": [], "theorem_neg_offsets": np.zeros(t.size), "theorem_neg_rows": [],
                            "group_offsets": [0], "group_rows": [], "group_is_positive": []}.items():
                np.save(plan_file(plan_dir, "val", name), np.array(v, dtype=np.int64))
            job = Job(root)
            summary = job(cfg)
            self.assertEqual(summary["steps"], cfg["total_steps"])
            self.assertTrue(any(e["event"] == "warning" and "SFT loss only" in e["message"] for e in job.events()))
            names = {e["name"] for e in job.events() if e["event"] == "metric"}
            self.assertIn("val_sft_loss", names)
            self.assertFalse({"centroid_l2", "ebm_rank1", "val_infonce_loss"} & names)


class MetricsTest(unittest.TestCase):
    def test_metric_names_and_cadence(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            job = Job(root)
            summary = job(setup(root))
            names = {e["name"] for e in job.events() if e["event"] == "metric"}
            watched = {r["metric"] for r in abort_rules_ts()} - {"*"}
            self.assertTrue(watched <= names, watched - names)  # what TASK_4_1_ABORT_RULES watches
            self.assertTrue({"infonce_loss", "lr_lora", "lr_head", "grad_norm_lora", "grad_norm_head", "linear_probe_acc", "linear_probe_base_rate", "tokens_per_s", "lambda_ebm"} <= names)
            self.assertEqual([s for s, _ in job.metric("sft_loss")], [2, 4, 6, 8, 10, 12])  # every log_every_steps
            self.assertEqual([s for s, _ in job.metric("temperature")], [0, 3, 6, 9, 12])  # at 0 and every temperature_every_steps
            for name in ("centroid_l2", "ebm_rank1", "linear_probe_acc", "val_infonce_loss", "val_sft_loss"):
                self.assertEqual([s for s, _ in job.metric(name)], [0, 4, 8, 12], name)  # at start, every eval_every_steps
            self.assertTrue(all(v > 3.0 for _, v in job.metric("centroid_l2")))  # the healthy world does not trip the rule
            self.assertEqual(dict(job.metric("lr_lora"))[2], 1e-2)  # warmup 2: step 2 ran at the peak
            events = job.events()
            ckpt_at_8 = next(i for i, e in enumerate(events) if e["event"] == "artifact" and e["kind"] == "checkpoint" and e["path"].endswith("step000008.pt"))
            eval_at_8 = next(i for i, e in enumerate(events) if e["event"] == "metric" and e["name"] == "centroid_l2" and e["step"] == 8)
            self.assertLess(ckpt_at_8, eval_at_8)  # the checkpoint is complete before the metric that may stop the job
            self.assertEqual(summary["steps"], 12)
            self.assertEqual(set(summary["head_architecture"]), {"d_model", "hidden_dims", "dropout", "first_layer_scale", "temperature_min", "temperature_max", "init_temperature"})
            for key in ("temperature", "final_train_loss", "val_loss", "val_rank1", "val_rank1_chance", "train_rank1", "excluded_unusable_rows", "train_rows_per_s"):
                self.assertIn(key, summary)  # src/stages/ebm.ts EbmTrainResult reads these
            self.assertEqual(summary["val_rank1"], job.metric("ebm_rank1")[-1][1])
            self.assertEqual(summary["lambda_schedule"], [[0, 0.1]])
            self.assertEqual(summary["remedies_applied"], [])
            with open(os.path.join(root, "out", "training_summary.json")) as f:
                self.assertEqual(json.load(f)["steps"], 12)

    def test_it_learns(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            job = Job(root)
            # 100 steps: a step's InfoNCE over its few groups is noisy (and the layout changes the dropout
            # draws), so the first and last 10 logged values are compared; over seeds 0-2 and the three
            # energy layouts the drop measured 0.51-1.01, and after 40 steps it was -0.04-0.62
            job(setup(root, total_steps=100, eval_every_steps=100, checkpoint_every_steps=100, lr_lora=3e-2, lr_head=3e-2))
            sft, nce = job.metric("sft_loss"), job.metric("infonce_loss")
            self.assertLess(sft[-1][1], 0.6 * sft[0][1])
            self.assertLess(np.mean([v for _, v in nce[-10:]]), np.mean([v for _, v in nce[:10]]) - 0.3)
            val = job.metric("val_sft_loss")
            self.assertLess(val[-1][1], val[0][1])


class ResumeTest(unittest.TestCase):
    def test_resume_is_bit_identical(self) -> None:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            full_job = Job(a)
            full = full_job(setup(a, checkpoint_every_steps=100, export_onnx=onnx is not None))
            job = Job(b)
            stopped = job(setup(b, checkpoint_every_steps=100, stop_after_steps=5, export_onnx=onnx is not None))
            self.assertEqual(stopped["stopped_at_step"], 5)
            resumed = job(setup(b, checkpoint_every_steps=100, export_onnx=onnx is not None), lm_seed=123)  # other initial weights: the checkpoint replaces them
            self.assertTrue(any(e["event"] == "warning" and "resuming from" in e["message"] and "at step 5 of 12" in e["message"] for e in job.events()))
            want, got = full_job.lm_params(), job.lm_params()
            for n in want:
                self.assertTrue(torch.equal(want[n], got[n]), n)  # dropout, AdamW and the streams restored exactly
            for k in ("steps", "final_sft_loss", "final_infonce_loss", "val_loss", "val_rank1", "centroid_l2", "train_rank1", "temperature"):
                self.assertEqual(full[k], resumed[k], k)
            ha, hb = (torch.load(os.path.join(r, "out", "goal_conditioned_head.pt")) for r in (a, b))
            self.assertEqual(sorted(ha["state_dict"]), sorted(hb["state_dict"]))
            for k in ha["state_dict"]:
                self.assertTrue(torch.equal(ha["state_dict"][k], hb["state_dict"][k]), k)
            self.assertEqual((ha["train_config"], ha["steps"]), (hb["train_config"], hb["steps"]))
            self.assertNotIn(0, [s for s, _ in job.metric("centroid_l2")])  # no second baseline eval

    def test_sigterm_checkpoints_at_a_step_boundary(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            sent: list[int] = []

            def send(n: int) -> None:  # inside a step (the 13th training forward): the step must still complete
                if n == 13 and not sent:
                    sent.append(n)
                    os.kill(os.getpid(), signal.SIGTERM)

            job = Job(root)
            cfg = setup(root, checkpoint_every_steps=100)
            with self.assertRaisesRegex(JobTerminated, r"SIGTERM: checkpoint saved at step (\d+)"):
                job(cfg, on_forward=send)
            files = checkpoint_files(cfg["checkpoint_dir"])
            self.assertEqual(len(files), 1)
            step, path = files[0]
            calls = job.build.prover.lm.model.train_calls
            ref = Job(os.path.join(root, "ref"))
            os.makedirs(ref.root)
            ref(setup(ref.root, checkpoint_every_steps=100, stop_after_steps=step))
            self.assertEqual(calls, ref.build.prover.lm.model.train_calls)  # the running step finished, no later step started
            self.assertGreaterEqual(calls, 13)
            done = job(cfg)  # restarted: continues from the SIGTERM checkpoint
            self.assertEqual(done["steps"], 12)

    def test_subprocess_job_stops_on_sigterm_and_resumes(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg_path = os.path.join(root, "config.json")
            with open(cfg_path, "w") as f:
                json.dump({"fake_world": os.path.join(root, "w"), "total_steps": 80, "eval_every_steps": 40, "checkpoint_every_steps": 1000, "log_every_steps": 1}, f)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([PYTHON_ROOT, HERE])}
            cmd = [sys.executable, "-m", "joint_fixtures", "--config", cfg_path]
            with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True) as proc:
                assert proc.stdout is not None
                for line in proc.stdout:
                    e = json.loads(line)
                    if e["event"] == "progress" and e.get("unit") == "steps" and e["step"] >= 5:
                        proc.send_signal(signal.SIGTERM)
                        break
                rest = [json.loads(line) for line in proc.stdout]
                self.assertEqual(proc.wait(timeout=120), 143)
            checkpoints = [e["path"] for e in rest if e["event"] == "artifact" and e["kind"] == "checkpoint"]
            self.assertEqual(len(checkpoints), 1)
            step = int(checkpoints[0][-9:-3])
            self.assertTrue(5 <= step < 80, step)
            done = subprocess.run(cmd, capture_output=True, env=env, text=True, timeout=300)
            self.assertEqual(done.returncode, 0, done.stderr[-3000:])
            events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
            self.assertTrue(any(e["event"] == "warning" and f"at step {step} of 80" in e["message"] for e in events))
            self.assertEqual(events[-1]["event"], "done")
            self.assertEqual(events[-1]["summary"]["steps"], 80)


class RetentionTest(unittest.TestCase):
    def test_keeps_this_runs_last_files_and_never_anothers(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg = setup(root, keep_checkpoints=2)
            os.makedirs(cfg["checkpoint_dir"])
            foreign = os.path.join(cfg["checkpoint_dir"], "joint-0123456789abcdef-step000004.pt")
            with open(foreign, "wb") as f:
                f.write(b"another run's checkpoint")
            Job(root)(cfg)
            files = checkpoint_files(cfg["checkpoint_dir"])
            self.assertEqual([s for s, p in files if p != foreign], [8, 12])
            self.assertEqual(read_bytes(foreign), b"another run's checkpoint")


class NanTest(unittest.TestCase):
    def test_nan_aborts_before_the_step_and_keeps_the_checkpoint(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            job = Job(root)
            cfg = setup(root, debug_force={"nan_at_step": 6})
            with self.assertRaisesRegex(JobAbort, r"step 6: non-finite sft_loss nan.*optimizer step was not taken; the last checkpoint \(.*step000004\.pt\) is kept"):
                job(cfg)
            self.assertIn((6, "NaN"), job.metric("sft_loss"))  # the metric the non_finite rule fires on
            files = checkpoint_files(cfg["checkpoint_dir"])
            self.assertEqual([s for s, _ in files], [4])
            aborted = job.lm_params()
            ref = Job(os.path.join(root, "ref"))
            os.makedirs(ref.root)
            ref(setup(ref.root, stop_after_steps=5))
            for n, value in ref.lm_params().items():
                self.assertTrue(torch.equal(value, aborted[n]), n)  # step 6's NaN gradient was never applied
            blob = torch.load(files[0][1])
            self.assertEqual(blob["position"]["step"], 4)


class RestartTest(unittest.TestCase):
    def test_remedy_restart_changes_lambda_from_the_checkpoint(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            job = Job(root)
            job(setup(root, stop_after_steps=4))
            origin = checkpoint_files(os.path.join(root, "checkpoints"))[-1][1]
            origin_bytes = read_bytes(origin)
            restart = setup(root, resume_from_checkpoint=origin, remedy="centroid_l2_below_3")
            summary = job(restart)
            self.assertEqual(summary["lambda_schedule"], [[0, 0.1], [4, 0.3]])
            (applied,) = summary["remedies_applied"]
            self.assertEqual((applied["step"], applied["remedy"], applied["lambda_before"], applied["lambda_after"], applied["from_checkpoint"]), (4, "centroid_l2_below_3", 0.1, 0.3, origin))
            self.assertIn("increase λ to 0.3", applied["plan"])
            self.assertEqual({v for s, v in job.metric("lambda_ebm")}, {0.3})
            self.assertEqual(read_bytes(origin), origin_bytes)  # the checkpoint restarted from is never touched
            self.assertNotEqual(summary["run_fingerprint"], summary["base_fingerprint"])

    def test_an_interrupted_restart_continues_itself(self) -> None:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            results = []
            for root, stop in ((a, None), (b, 9)):
                job = Job(root)
                job(setup(root, stop_after_steps=4))
                origin = checkpoint_files(os.path.join(root, "checkpoints"))[-1][1]
                restart = setup(root, resume_from_checkpoint=origin, remedy="sft_loss_above_0.5_after_2000")
                if stop is not None:
                    self.assertEqual(job({**restart, "stop_after_steps": stop})["stopped_at_step"], 9)
                results.append((job(restart), job))
            (full, full_job), (resumed, resumed_job) = results
            self.assertTrue(any(e["event"] == "warning" and "resuming from" in e["message"] and resumed["run_fingerprint"] in e["message"] and "at step 9 of 12" in e["message"] for e in resumed_job.events()))
            self.assertEqual(resumed["lambda_schedule"], [[0, 0.1], [4, 0.03]])
            self.assertEqual(len(resumed["restarts"]), 1)
            for n, v in full_job.lm_params().items():
                self.assertTrue(torch.equal(v, resumed_job.lm_params()[n]), n)

    def test_a_checkpoint_of_another_recipe_is_refused_naming_the_keys(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            job = Job(root)
            job(setup(root, stop_after_steps=4))
            origin = checkpoint_files(os.path.join(root, "checkpoints"))[-1][1]
            with self.assertRaisesRegex(ValueError, r"'lr_lora': checkpoint 0\.01, config 0\.02"):
                job(setup(root, resume_from_checkpoint=origin, lr_lora=0.02))
            with self.assertRaisesRegex(ValueError, r"'lambda_ebm'.*use 'remedy' or 'lambda_override'"):
                job(setup(root, resume_from_checkpoint=origin, lambda_ebm=0.3))


class ScenarioTest(unittest.TestCase):
    def test_planted_collapse_emits_centroid_below_the_rule(self) -> None:
        rule = next(r for r in abort_rules_ts() if r["metric"] == "centroid_l2")
        self.assertEqual(rule["id"], "centroid_l2_below_3")
        threshold = abort_threshold(rule["id"])
        self.assertEqual(threshold, 3.0)
        with tempfile.TemporaryDirectory() as root:
            job = Job(root)
            job(setup(root, debug_force={"collapse_centroids": True}))
            values = [v for _, v in job.metric("centroid_l2")]
            self.assertEqual(len(values), 4)
            self.assertTrue(all(v < threshold for v in values), values)
            self.assertTrue(all(v > 0 for v in values))  # computed (on the collapsed vectors), not a placeholder

    def test_fake_job_scenario_from_the_command_line(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg_path = os.path.join(root, "config.json")
            with open(cfg_path, "w") as f:
                json.dump({"fake_world": os.path.join(root, "w"), "debug_force": {"nan_at_step": 3}}, f)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([PYTHON_ROOT, HERE])}
            done = subprocess.run([sys.executable, "-m", "joint_fixtures", "--config", cfg_path], capture_output=True, env=env, text=True, timeout=120)
            self.assertEqual(done.returncode, 3, done.stderr[-2000:])  # JobAbort
            events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
            self.assertIn({"name": "sft_loss", "value": "NaN", "step": 3}, [{k: e[k] for k in ("name", "value", "step")} for e in events if e["event"] == "metric"])
            self.assertEqual(events[-1]["event"], "abort")


class Iter0IdentityTest(unittest.TestCase):
    def test_a_different_head_is_refused_naming_the_field(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg = setup(root)
            write_iter0(cfg, WorldSpec(head_dropout=0.1))
            with self.assertRaisesRegex(ValueError, r"energy head config differs from iter_0's \(.*iter0_head\.pt\): field 'dropout': iter_0 0\.1, joint 0\.15"):
                Job(root)(cfg)
            write_iter0(cfg, WorldSpec(), temperature_max=5.0)
            with self.assertRaisesRegex(ValueError, r"field 'temperature_max': iter_0 5\.0, joint 10\.0"):
                Job(root)(cfg)
            write_iter0(cfg, WorldSpec(), d_model=32)
            with self.assertRaisesRegex(ValueError, r"field 'd_model': iter_0 32, joint 16"):
                Job(root)(cfg)
            write_iter0(cfg, WorldSpec(k_negatives=7))
            with self.assertRaisesRegex(ValueError, r"contrastive sampling differs .*field 'k_negatives': iter_0 7, joint 3"):
                Job(root)(cfg)

    def test_a_different_recipe_is_refused_before_loading(self) -> None:
        from burnqed.embed import EmbedRecipe

        with tempfile.TemporaryDirectory() as root:
            cfg = setup(root)
            write_iter0(cfg, WorldSpec(recipe=EmbedRecipe(compute_dtype="float32", max_length=256)))
            job = Job(root)
            with self.assertRaisesRegex(ValueError, r"embedding recipe differs from iter_0's \(.*embedding_meta\.json\): field 'max_length': iter_0 256, joint 512"):
                job(cfg)
            self.assertIsNone(job.build)  # refused before the model was built

    def test_head_init_from_iter0(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg = setup(root, head_init="iter_0", stop_after_steps=1)
            job = Job(root)
            captured: dict[str, torch.Tensor] = {}

            def grab(n: int) -> None:
                if n == 1:
                    captured.update({k: v.clone() for k, v in job.build.prover.head.state_dict().items()})

            job(cfg, on_forward=grab)
            want = torch.load(cfg["iter0_head_pt"])["state_dict"]
            for k, v in want.items():
                self.assertTrue(torch.equal(captured[k], v), k)


class ExportTest(unittest.TestCase):
    def test_head_files_are_the_decoupled_trainers(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            job = Job(root)
            job(setup(root, export_onnx=onnx is not None))
            pt = os.path.join(root, "out", "goal_conditioned_head.pt")
            blob = torch.load(pt)
            self.assertEqual(blob["format"], "burnqed.goal_conditioned_head/1")
            self.assertEqual((blob["steps"], blob["trainer"], blob["train_config"]["lambda_ebm"]), (12, "burnqed.joint.train", 0.1))
            head = load_head(pt)
            trained = job.build.prover.head.eval()
            g = torch.Generator().manual_seed(0)
            zs, zg = torch.randn(7, 16, generator=g), torch.randn(7, 16, generator=g)
            with torch.no_grad():
                torch.testing.assert_close(head.score(zs, zg), trained.score(zs, zg), rtol=0, atol=0)
            self.assertTrue(os.path.exists(os.path.join(root, "out", "adapter", "burnqed_sft.json")))
            if onnx is not None:
                model = onnx.load(os.path.join(root, "out", "goal_conditioned_head.onnx"))
                self.assertEqual([i.name for i in model.graph.input], ["z_state", "z_goal"])
                self.assertEqual([o.name for o in model.graph.output], ["energy"])
            if onnxruntime is not None:
                session = onnxruntime.InferenceSession(os.path.join(root, "out", "goal_conditioned_head.onnx"), providers=["CPUExecutionProvider"])
                (energy,) = session.run(None, {"z_state": zs.numpy(), "z_goal": zg.numpy()})
                np.testing.assert_allclose(energy, trained.score(zs, zg).detach().numpy(), rtol=1e-5, atol=1e-5)


class SmokeShapeTest(unittest.TestCase):
    """The smoke test's step shapes: fixed counts, or the realistic length mix under the caps."""

    def config(self, **kw: Any) -> Any:
        from burnqed.joint.smoke import SmokeConfig

        cfg = SmokeConfig.from_dict({"random_init": "deepseek_prover_v1_5", **kw})
        cfg.validate()
        return cfg

    def test_fixed_lengths_are_the_counts(self) -> None:
        from burnqed.joint.smoke import synthetic_lengths

        sft, pos, neg, goals = synthetic_lengths(self.config(groups=3, state_tokens=40, goal_tokens=30, sft_examples=2), 4, np.random.default_rng(0))
        self.assertEqual(sft, [(192, 64), (192, 64)])
        self.assertEqual((pos, neg, goals), ([40] * 3, [[40] * 4] * 3, [30] * 3))

    def test_realistic_lengths_follow_the_mix_under_the_caps(self) -> None:
        from burnqed.joint.smoke import synthetic_lengths

        cfg = self.config(lengths="realistic", sft_examples=4000, sft_prompt_tokens=1984, sft_completion_tokens=64, groups=1000, state_tokens=512, goal_tokens=512)
        sft, pos, neg, goals = synthetic_lengths(cfg, 3, np.random.default_rng(0))
        total = np.array([a + b for a, b in sft])
        self.assertTrue(all(b >= 1 and a >= 4 for a, b in sft) and total.max() <= 2048)
        self.assertAlmostEqual(float(np.median(total)), 199, delta=8)  # the SFT mix's p50
        self.assertAlmostEqual(float(np.percentile(total, 95)), 539, delta=40)
        states = np.array(pos + [x for row in neg for x in row])
        self.assertEqual((len(pos), len(neg), {len(r) for r in neg}, len(goals)), (1000, 1000, {3}, 1000))
        self.assertLessEqual(states.max(), 512)
        self.assertAlmostEqual(float(np.median(states)), 170, delta=8)  # the state mix's median
        self.assertAlmostEqual(float(states.mean()), 201, delta=10)  # and its mean under the 512 cut
        again = synthetic_lengths(cfg, 3, np.random.default_rng(0))
        self.assertEqual(again, (sft, pos, neg, goals))

    def test_bad_shapes_are_named(self) -> None:
        with self.assertRaisesRegex(ValueError, "'lengths' must be 'fixed' or 'realistic', got 'mixed'"):
            self.config(lengths="mixed")
        with self.assertRaisesRegex(ValueError, r"'timed_groups' must be a list of group counts in \[1, groups=16\], got \[0, 4\]"):
            self.config(timed_groups=[0, 4])
        with self.assertRaisesRegex(ValueError, "timed_groups"):
            self.config(groups=4, timed_groups=[8])
        with self.assertRaisesRegex(ValueError, r"each of 'timed_variants' must be a non-empty object with keys from \('energy_encode', 'groups_per_micro_batch'\), got \{'lr_lora': 1\}"):
            self.config(timed_variants=[{"lr_lora": 1}])
        with self.assertRaisesRegex(ValueError, "energy_encode"):
            self.config(timed_variants=[{"energy_encode": "sorted"}])


class ImportTest(unittest.TestCase):
    def test_the_package_imports_without_transformers(self) -> None:
        code = "import sys, burnqed.joint.train, burnqed.joint.smoke, burnqed.joint.export; sys.exit(int(any(m in sys.modules for m in ('transformers', 'peft', 'tokenizers'))))"
        done = subprocess.run([sys.executable, "-c", code], cwd=PYTHON_ROOT, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)


if __name__ == "__main__":
    unittest.main()
