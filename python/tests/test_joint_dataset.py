"""JointDataset: both streams are pure functions of the step and visit every item once an epoch;
groups come from the decoupled trainer's plan code (sample_negatives: siblings first); states are
tokenised with the embedding recipe and goals follow goal_index; the SFT examples are the SFT
job's; bad inputs are errors naming the file and row."""
from __future__ import annotations

import json
import os
import tempfile
import unittest
from typing import Any

import numpy as np

from burnqed.contrastive_plan import load_split, sample_negatives
from burnqed.embed import read_texts, tokenize_texts
from burnqed.joint.config import JointConfig
from burnqed.joint.dataset import (
    CONTRASTIVE_STREAM_SALT,
    ContrastiveStream,
    SftStream,
    load_joint_dataset,
    make_eval_set,
    stream_slots,
    subset_groups,
)
from burnqed.sft import load_examples
from burnqed.sft_data import IGNORE_INDEX, PROOFSTEP_MARKER
from burnqed.train_ebm import VAL_SEED_SALT
from joint_fixtures import CharTokenizer, joint_config, write_jsonl, write_world


def world(root: str, **overrides: Any) -> tuple[JointConfig, CharTokenizer, dict[str, str]]:
    paths = write_world(os.path.join(root, "w"))
    cfg = JointConfig.from_dict(joint_config(root, paths, **overrides))
    return cfg, CharTokenizer.load(paths["model_dir"]), paths


def read_jsonl(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load(cfg: JointConfig, tok: CharTokenizer, warnings: list[str] | None = None) -> Any:
    return load_joint_dataset(cfg, tok, load_examples(cfg.sft_config(), tok), (warnings if warnings is not None else []).append)


class StreamTest(unittest.TestCase):
    def test_slots_cross_epochs(self) -> None:
        epochs, slots = stream_slots(5, 3, 1)  # items 3, 4, 5
        self.assertEqual((epochs.tolist(), slots.tolist()), ([0, 0, 1], [3, 4, 0]))
        with self.assertRaisesRegex(ValueError, "n_items >= 1"):
            stream_slots(0, 3, 0)

    def test_sft_stream_visits_every_example_once_an_epoch(self) -> None:
        s = SftStream(10, 4, seed=3)
        items = np.concatenate([s.at(step) for step in range(5)])  # 20 items = two epochs
        self.assertEqual(sorted(items[:10].tolist()), list(range(10)))
        self.assertEqual(sorted(items[10:].tolist()), list(range(10)))
        self.assertNotEqual(items[:10].tolist(), items[10:].tolist())  # a new permutation each epoch
        fresh = SftStream(10, 4, seed=3)
        self.assertEqual(fresh.at(3).tolist(), s.at(3).tolist())  # a pure function of the step: resumable
        self.assertNotEqual(SftStream(10, 4, seed=4).at(0).tolist(), s.at(0).tolist())

    def test_contrastive_stream_is_train_ebms_draw_per_epoch(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg, _, paths = world(root)
            plan = load_split(paths["plan_dir"], "train", 10_000)
            stream = ContrastiveStream(plan, 5, 3, 0.6, seed=0)
            n = plan.n_anchors  # 12
            idx = np.concatenate([stream.at(step)[0] for step in range(2 * n // 5 + 1)])
            self.assertEqual(sorted(idx[:n].tolist()), list(range(n)))
            rng = np.random.default_rng([0, CONTRASTIVE_STREAM_SALT, 1])
            order = rng.permutation(n)
            negatives, _ = sample_negatives(plan, 3, 0.6, rng)
            step = n // 5 + 1  # the first step wholly inside epoch 1 starts at item 15 = epoch 1 slot 3
            got_idx, got_anchors, got_negs = stream.at(step)
            self.assertEqual(got_idx.tolist(), order[step * 5 - n : step * 5 - n + 5].tolist())
            self.assertEqual(got_anchors.tolist(), plan.anchors[got_idx].tolist())
            self.assertEqual(got_negs.tolist(), negatives[got_idx].tolist())
            for a, negs in zip(got_idx.tolist(), got_negs.tolist()):  # 2 hard from the siblings, 1 from another theorem
                sib = set(plan.sibling_rows[plan.sibling_offsets[a] : plan.sibling_offsets[a + 1]].tolist())
                self.assertTrue(set(negs[:2]) <= sib and len(set(negs[:2])) == 2)
                t = plan.anchor_theorem[a]
                same = set(plan.theorem_neg_rows[plan.theorem_neg_offsets[t] : plan.theorem_neg_offsets[t + 1]].tolist())
                self.assertNotIn(negs[2], same)


class DatasetTest(unittest.TestCase):
    def test_tokens_goals_and_interleaving(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg, tok, paths = world(root)
            data = load(cfg, tok)
            texts = read_texts(paths["state_texts"])
            rows = np.unique(np.concatenate([data.train_plan.used_rows(), data.val_plan.used_rows()]))
            want = tokenize_texts(tok, [texts[i] for i in rows], cfg.embed_recipe)
            self.assertEqual(data.states.rows(rows), want)  # the embedding recipe's ids, row for row
            self.assertEqual(want[0][:2], [tok.bos_token_id, tok.convert_tokens_to_ids("[GOAL]")])
            self.assertEqual(want[0][-1], tok.convert_tokens_to_ids("[PROOFSTEP]"))
            unused = np.setdiff1d(np.arange(len(texts)), rows)
            self.assertTrue(unused.size > 0 and all(data.states.row(i) == [] for i in unused))  # roots and terminal rows are not tokenised
            b = data.batch(3)
            self.assertEqual((len(b.sft), len(b.groups)), (cfg.sft_examples_per_step, cfg.groups_per_step))
            self.assertEqual(b.groups.goals.tolist(), np.load(paths["goal_index"])[b.groups.anchors].tolist())
            self.assertTrue(set(b.groups.anchors.tolist()) <= set(data.train_plan.anchors.tolist()))  # never a held-out anchor
            tokens = data.tokens(b.groups)
            goal_texts = read_texts(paths["goal_texts"])
            self.assertEqual(tokens.goals[0], tokenize_texts(tok, [goal_texts[b.groups.goals[0]]], cfg.embed_recipe)[0])
            self.assertEqual(tokens.negatives[1][2], data.states.row(b.groups.negatives[1, 2]))
            self.assertNotEqual(data.batch(4).sft, b.sft)
            self.assertEqual(data.stats["train_anchors"], 12)

    def test_sft_examples_are_the_sft_jobs(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg, tok, _ = world(root)
            data = load(cfg, tok)
            ex = data.sft_train[0]
            boundary = ex.input_ids.index(tok.convert_tokens_to_ids(PROOFSTEP_MARKER))
            self.assertTrue(all(label == IGNORE_INDEX for label in ex.labels[: boundary + 1]))  # completion-only mask
            self.assertEqual(list(ex.labels[boundary + 1 :]), list(ex.input_ids[boundary + 1 :]))
            self.assertEqual(ex.labels[-1], tok.eos_token_id)

    def test_eval_set_is_the_held_out_split(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg, tok, paths = world(root)
            data = load(cfg, tok)
            ev = make_eval_set(data.val_plan, 4, 5, 3, 0.6, seed=0)
            self.assertEqual((ev.groups.n_groups, ev.anchors.shape, ev.negatives.shape), (4, (5,), (5, 3)))
            self.assertTrue(set(ev.state_rows().tolist()) <= set(data.val_plan.used_rows().tolist()))
            full, _ = sample_negatives(data.val_plan, 3, 0.6, np.random.default_rng([0, VAL_SEED_SALT]))
            pos = [int(np.flatnonzero(data.val_plan.anchors == a)[0]) for a in ev.anchors]
            self.assertEqual(ev.negatives.tolist(), full[pos].tolist())  # train_ebm's validation draw
            all_groups = make_eval_set(data.val_plan, 100, 100, 3, 0.6, seed=0)
            self.assertEqual(all_groups.groups.group_rows.tolist(), data.val_plan.group_rows.tolist())
            two = subset_groups(data.val_plan, np.array([1, 3]))
            self.assertEqual(two.group_offsets.tolist(), [0, 4, 8])
            self.assertEqual(two.group_rows.tolist(), data.val_plan.group_rows[4:8].tolist() + data.val_plan.group_rows[12:16].tolist())


class BadInputTest(unittest.TestCase):
    def test_empty_planned_text_is_excluded_with_a_warning(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg, tok, paths = world(root)
            records = read_jsonl(paths["state_texts"])
            plan = load_split(paths["plan_dir"], "train", len(records))
            records[int(plan.anchors[0])]["text"] = "  "
            write_jsonl(paths["state_texts"], records)
            warnings: list[str] = []
            data = load(cfg, tok, warnings)
            self.assertEqual(data.train_plan.n_anchors, 11)
            self.assertEqual(data.stats["excluded_empty_text_rows"], 1)
            self.assertTrue(any("1 planned rows" in w and "empty state text" in w for w in warnings), warnings)

    def test_goal_index_errors_name_the_files(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg, tok, paths = world(root)
            np.save(paths["goal_index"], np.zeros(5, dtype=np.int32))
            with self.assertRaisesRegex(ValueError, r"goal_index\.npy: expected an integer array of \d+ entries \(one per text of .*state_texts\.jsonl\)"):
                load(cfg, tok)
            gi = np.zeros(len(read_texts(paths["state_texts"])), dtype=np.int32)
            gi[4] = 99
            np.save(paths["goal_index"], gi)
            with self.assertRaisesRegex(ValueError, r"row 4 points at goal row 99, but .*goal_texts\.jsonl has 9 texts"):
                load(cfg, tok)

    def test_empty_goal_text_is_named(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg, tok, paths = world(root)
            goals = read_jsonl(paths["goal_texts"])
            goals[2]["text"] = ""
            write_jsonl(paths["goal_texts"], goals)
            with self.assertRaisesRegex(ValueError, r"goal_texts\.jsonl: goal row 2 \(line 3\) is empty"):
                load(cfg, tok)

    def test_plan_rows_beyond_the_texts(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg, tok, paths = world(root)
            records = read_jsonl(paths["state_texts"])
            write_jsonl(paths["state_texts"], records[:20])
            np.save(paths["goal_index"], np.load(paths["goal_index"])[:20])
            with self.assertRaisesRegex(ValueError, r"row numbers outside \[0, 20\)"):
                load(cfg, tok)


if __name__ == "__main__":
    unittest.main()
