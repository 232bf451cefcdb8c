"""JointDataset (plan Task 3.1): the two streams of joint training, interleaved step by step.

- SFT: the SFT job's examples — read by sft_data.read_sft_jsonl and tokenised by
  sft_data.tokenize_sft_records (through sft.load_examples), so the completion mask is computed
  exactly as for SFT and the step is packed by the SFT job's packing code (see train.py).
- Contrastive: groups of the decoupled trainer's contrastive plan (contrastive_plan.py, written by
  src/ebm/contrastive-plan.ts from iter_0's trajectories): a positive anchor, K negatives drawn by
  contrastive_plan.sample_negatives (round(hard_ratio·K) hard — siblings keyed by (run, theorem,
  parent) first — the rest from other theorems), and the anchor's root goal. The train split is
  trained on; the val split (the decoupled trainer's held-out theorems) is only evaluated.

The plan's row numbers index the state texts the embed job embedded (iter_0/embeddings/
state_texts.jsonl, read with embed.read_texts, so row i is the i-th record exactly as for the embed
job); goals are rows of goal_texts.jsonl through goal_index.npy. The joint model re-encodes the
texts with the live LoRA model, so texts — not embeddings — are its input; they are tokenised
once with the embedding recipe (embed.tokenize_texts: template, BOS kept, trailing EOS dropped,
left truncation to 512 tokens) into flat int32 arrays.

Both streams are pure functions of the step: item j of a stream (j = step·per_step + i) is element
j mod n of epoch j div n's seeded permutation (the contrastive stream also draws each epoch's
negatives from that epoch's generator, as train_ebm does). A resumed run therefore draws exactly
what an uninterrupted one draws; the position is the step.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from burnqed.contrastive_plan import SplitPlan, exclude_rows, load_split, sample_negatives
from burnqed.embed import EmbedRecipe, read_texts, tokenize_texts
from burnqed.sft_data import SftExample
from burnqed.train_ebm import VAL_SEED_SALT

SFT_STREAM_SALT = 101  # seeds: np.random.default_rng([seed, salt, epoch])
CONTRASTIVE_STREAM_SALT = 102
EVAL_GROUPS_SALT = 103
EVAL_ANCHORS_SALT = 104


# ---------------------------------------------------------------------------------------------
# token ids of many texts


@dataclass(frozen=True)
class TokenStore:
    """Recipe token ids of n texts in one flat int32 array: text i is ids[offsets[i]:offsets[i+1]]
    (empty for texts that were not tokenised because no plan row uses them)."""

    ids: np.ndarray  # (T,) int32
    offsets: np.ndarray  # (n + 1,) int64

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def row(self, i: int) -> list[int]:
        return self.ids[self.offsets[i] : self.offsets[i + 1]].tolist()

    def rows(self, rows: Sequence[int]) -> list[list[int]]:
        return [self.row(int(i)) for i in rows]

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def token_store(n: int, rows: np.ndarray, ids: Sequence[Sequence[int]]) -> TokenStore:
    """A TokenStore of n texts where ``rows[k]`` has ids ``ids[k]`` and every other text is empty."""
    lengths = np.zeros(n, dtype=np.int64)
    lengths[rows] = [len(x) for x in ids]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.empty(int(offsets[-1]), dtype=np.int32)
    for r, x in zip(rows.tolist(), ids):
        flat[offsets[r] : offsets[r + 1]] = x
    return TokenStore(flat, offsets)


def tokenize_rows(tokenizer: Any, texts: Sequence[str], rows: np.ndarray, recipe: EmbedRecipe) -> TokenStore:
    """The embedding recipe's token ids of ``texts[rows]`` (embed.tokenize_texts), the rest empty."""
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    return token_store(len(texts), rows, tokenize_texts(tokenizer, [texts[i] for i in rows.tolist()], recipe))


# ---------------------------------------------------------------------------------------------
# streams


def stream_slots(n_items: int, per_step: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(epoch, position in the epoch) of the ``per_step`` items a stream of ``n_items`` gives at ``step``."""
    if n_items < 1 or per_step < 1 or step < 0:
        raise ValueError(f"stream_slots: need n_items >= 1, per_step >= 1 and step >= 0, got {n_items}, {per_step}, {step}")
    j = np.arange(step * per_step, (step + 1) * per_step, dtype=np.int64)
    return j // n_items, j % n_items


class EpochCache:
    """The last two epochs of a stream, built on demand (a step of per_step <= n items spans at most
    two epochs; with per_step > n an entry is rebuilt, which costs time but gives the same items)."""

    def __init__(self, build: Callable[[int], Any]) -> None:
        self.build = build
        self.entries: dict[int, Any] = {}

    def __call__(self, epoch: int) -> Any:
        if epoch not in self.entries:
            if len(self.entries) >= 2:
                del self.entries[min(self.entries)]
            self.entries[epoch] = self.build(epoch)
        return self.entries[epoch]


def epoch_order(n: int, seed: int, salt: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, salt, epoch]).permutation(n)


class SftStream:
    """Example indices of each step: epochs of a seeded permutation of the SFT examples."""

    def __init__(self, n_examples: int, per_step: int, seed: int) -> None:
        self.n, self.per_step = n_examples, per_step
        self.order = EpochCache(lambda e: epoch_order(n_examples, seed, SFT_STREAM_SALT, e))

    def at(self, step: int) -> np.ndarray:
        epochs, slots = stream_slots(self.n, self.per_step, step)
        return np.array([self.order(int(e))[s] for e, s in zip(epochs, slots)], dtype=np.int64)


@dataclass(frozen=True)
class ContrastiveEpoch:
    order: np.ndarray  # (A,) permutation of the anchors
    negatives: np.ndarray  # (A, K) state rows per anchor (indexed by anchor, not by order)
    tiers: dict[str, int]


class ContrastiveStream:
    """Anchor indices and their negatives at each step. An epoch's generator draws the permutation,
    then sample_negatives draws every anchor's K negatives (train_ebm's order of draws)."""

    def __init__(self, plan: SplitPlan, per_step: int, k: int, hard_ratio: float, seed: int) -> None:
        if plan.n_anchors < 1:
            raise ValueError("ContrastiveStream: the plan has no anchors")
        self.plan, self.per_step, self.k, self.hard_ratio, self.seed = plan, per_step, k, hard_ratio, seed
        self.epoch = EpochCache(self._build)

    def _build(self, epoch: int) -> ContrastiveEpoch:
        rng = np.random.default_rng([self.seed, CONTRASTIVE_STREAM_SALT, epoch])
        order = rng.permutation(self.plan.n_anchors)
        negatives, tiers = sample_negatives(self.plan, self.k, self.hard_ratio, rng)
        return ContrastiveEpoch(order, negatives, tiers)

    def at(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(anchor indices (G,), anchor state rows (G,), negative state rows (G, K)) of ``step``."""
        epochs, slots = stream_slots(self.plan.n_anchors, self.per_step, step)
        idx = np.empty(self.per_step, dtype=np.int64)
        negs = np.empty((self.per_step, self.k), dtype=np.int64)
        for i, (e, s) in enumerate(zip(epochs.tolist(), slots.tolist())):
            ep = self.epoch(e)
            idx[i] = ep.order[s]
            negs[i] = ep.negatives[idx[i]]
        return idx, self.plan.anchors[idx], negs


# ---------------------------------------------------------------------------------------------
# one step's data


@dataclass(frozen=True)
class GroupRows:
    """Contrastive groups as row numbers: the positive, its K negatives (hard first), its goal."""

    anchors: np.ndarray  # (G,) state rows
    negatives: np.ndarray  # (G, K) state rows
    goals: np.ndarray  # (G,) goal rows

    def __len__(self) -> int:
        return int(self.anchors.shape[0])

    def take(self, sl: slice) -> "GroupRows":
        return GroupRows(self.anchors[sl], self.negatives[sl], self.goals[sl])


@dataclass(frozen=True)
class GroupTokens:
    """The same groups as token ids (what the encoder reads)."""

    positives: list[list[int]]  # G
    negatives: list[list[list[int]]]  # G x K
    goals: list[list[int]]  # G
    goal_rows: np.ndarray  # (G,): equal rows share one goal encoding

    def __len__(self) -> int:
        return len(self.positives)

    def take(self, sl: slice) -> "GroupTokens":
        return GroupTokens(self.positives[sl], self.negatives[sl], self.goals[sl], self.goal_rows[sl])

    def n_tokens(self) -> int:
        return sum(len(x) for x in self.positives) + sum(len(x) for g in self.negatives for x in g) + sum(len(x) for x in self.goals)


@dataclass(frozen=True)
class JointBatch:
    step: int
    sft: tuple[int, ...]  # indices into JointDataset.sft_train
    groups: GroupRows
    anchor_indices: np.ndarray  # (G,) into the train plan's anchors


@dataclass
class JointDataset:
    sft_train: list[SftExample]
    sft_val: list[SftExample]
    states: TokenStore  # recipe token ids of the state texts (plan rows only)
    goals: TokenStore  # recipe token ids of the goal texts (used goals only)
    goal_index: np.ndarray  # (n_rows,) goal row of each state row
    train_plan: SplitPlan
    val_plan: SplitPlan
    sft_stream: SftStream
    contrastive: ContrastiveStream
    stats: dict[str, Any]

    def batch(self, step: int) -> JointBatch:
        idx, anchors, negatives = self.contrastive.at(step)
        groups = GroupRows(anchors, negatives, self.goal_index[anchors])
        return JointBatch(step=step, sft=tuple(self.sft_stream.at(step).tolist()), groups=groups, anchor_indices=idx)

    def tokens(self, groups: GroupRows) -> GroupTokens:
        return GroupTokens(
            positives=self.states.rows(groups.anchors),
            negatives=[self.states.rows(row) for row in groups.negatives],
            goals=self.goals.rows(groups.goals),
            goal_rows=groups.goals,
        )


# ---------------------------------------------------------------------------------------------
# reading and checking the inputs


def read_goal_index(path: str, n_rows: int, n_goals: int, states_path: str, goals_path: str) -> np.ndarray:
    gi = np.load(path, allow_pickle=False)
    if gi.shape != (n_rows,) or gi.dtype.kind not in "iu":
        raise ValueError(f"{path}: expected an integer array of {n_rows} entries (one per text of {states_path}), got {gi.dtype} {gi.shape}")
    if gi.size and (gi.min() < 0 or gi.max() >= n_goals):
        bad = int(np.flatnonzero((gi < 0) | (gi >= n_goals))[0])
        raise ValueError(f"{path}: row {bad} points at goal row {int(gi[bad])}, but {goals_path} has {n_goals} texts (missing goal for a theorem?)")
    return gi.astype(np.int64)


def usable_plans(plan_dir: str, texts: Sequence[str], states_path: str, warn: Callable[[str], None]) -> tuple[SplitPlan, SplitPlan, int]:
    """Both splits, without planned rows whose state text is empty (the TS plan already drops
    terminal and empty rows; this guards a plan written against other texts). Returns the number
    of rows dropped."""
    n = len(texts)
    train, val = load_split(plan_dir, "train", n), load_split(plan_dir, "val", n)
    keep = np.array([bool(t.strip()) for t in texts], dtype=bool)
    used = np.unique(np.concatenate([train.used_rows(), val.used_rows()]))
    bad = used[~keep[used]]
    if bad.size:
        warn(f"{bad.size} planned rows of {plan_dir} have an empty state text in {states_path} and are left out (first rows: {bad[:10].tolist()})")
        train, val = exclude_rows(train, keep), exclude_rows(val, keep)
    if train.n_anchors == 0:
        raise ValueError(f"contrastive plan {plan_dir}: no training anchors (positive rows with a parent) with a state text in {states_path}")
    return train, val, int(bad.size)


def check_goal_texts(goal_texts: Sequence[str], goal_rows: np.ndarray, goals_path: str) -> None:
    for g in goal_rows.tolist():
        if not goal_texts[g].strip():
            raise ValueError(f"{goals_path}: goal row {g} (line {g + 1}) is empty, but planned states point at it")


def load_joint_dataset(cfg: Any, tokenizer: Any, sft_examples: tuple[list[SftExample], list[SftExample], dict[str, Any]], warn: Callable[[str], None]) -> JointDataset:
    """Everything one run reads, checked and tokenised. ``cfg`` is a JointConfig; ``sft_examples``
    is sft.load_examples' result (train, val, stats) for the same tokenizer."""
    sft_train, sft_val, sft_stats = sft_examples
    texts = read_texts(cfg.state_texts)
    goal_texts = read_texts(cfg.goal_texts)
    goal_index = read_goal_index(cfg.goal_index, len(texts), len(goal_texts), cfg.state_texts, cfg.goal_texts)
    train, val, n_dropped = usable_plans(cfg.plan_dir, texts, cfg.state_texts, warn)
    rows = np.unique(np.concatenate([train.used_rows(), val.used_rows()]))
    goal_rows = np.unique(goal_index[rows])
    check_goal_texts(goal_texts, goal_rows, cfg.goal_texts)
    states = tokenize_rows(tokenizer, texts, rows, cfg.embed_recipe)
    goals = tokenize_rows(tokenizer, goal_texts, goal_rows, cfg.embed_recipe)
    stats = {
        "sft": sft_stats,
        "state_texts": len(texts),
        "goal_texts": len(goal_texts),
        "planned_rows": int(rows.size),
        "excluded_empty_text_rows": n_dropped,
        "train_anchors": train.n_anchors,
        "val_anchors": val.n_anchors,
        "train_groups": train.n_groups,
        "val_groups": val.n_groups,
        "state_tokens_mean": float(states.lengths()[rows].mean()) if rows.size else 0.0,
    }
    return JointDataset(
        sft_train=sft_train, sft_val=sft_val, states=states, goals=goals, goal_index=goal_index, train_plan=train, val_plan=val,
        sft_stream=SftStream(len(sft_train), cfg.sft_examples_per_step, cfg.seed),
        contrastive=ContrastiveStream(train, cfg.groups_per_step, cfg.k_negatives, cfg.hard_ratio, cfg.seed),
        stats=stats,
    )


# ---------------------------------------------------------------------------------------------
# held-out sets for monitoring


def subset_groups(plan: SplitPlan, groups: np.ndarray) -> SplitPlan:
    """The plan with only the rank-1 groups ``groups`` (sorted group numbers)."""
    sizes = np.diff(plan.group_offsets)[groups]
    rows = np.concatenate([np.arange(plan.group_offsets[g], plan.group_offsets[g + 1]) for g in groups.tolist()]) if groups.size else np.zeros(0, dtype=np.int64)
    return dataclasses.replace(
        plan,
        group_offsets=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        group_rows=plan.group_rows[rows],
        group_is_positive=plan.group_is_positive[rows],
    )


@dataclass(frozen=True)
class EvalSet:
    """Held-out data evaluated every eval_every_steps, fixed for a run."""

    groups: SplitPlan  # the held-out split restricted to the chosen rank-1 groups (also the probe's rows)
    anchors: np.ndarray  # (A,) held-out anchors for the held-out InfoNCE
    negatives: np.ndarray  # (A, K)

    def state_rows(self) -> np.ndarray:
        return np.unique(np.concatenate([self.groups.group_rows, self.anchors, self.negatives.reshape(-1)]))


def chosen(n: int, limit: int, seed: int, salt: int) -> np.ndarray:
    """Up to ``limit`` of range(n), a seeded choice, sorted."""
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng([seed, salt]).permutation(n)[:limit]).astype(np.int64)


def make_eval_set(plan: SplitPlan, max_groups: int, max_anchors: int, k: int, hard_ratio: float, seed: int) -> EvalSet:
    """The chosen groups and anchors; the anchors' negatives are train_ebm's validation draw
    (default_rng([seed, VAL_SEED_SALT]) over the whole split), then subset."""
    groups = subset_groups(plan, chosen(plan.n_groups, max_groups, seed, EVAL_GROUPS_SALT))
    if plan.n_anchors == 0 or plan.theorem_neg_rows.shape[0] == 0:  # no anchors, or nothing to contrast them with: no InfoNCE eval
        return EvalSet(groups, np.zeros(0, dtype=np.int64), np.zeros((0, k), dtype=np.int64))
    negatives, _ = sample_negatives(plan, k, hard_ratio, np.random.default_rng([seed, VAL_SEED_SALT]))
    pick = chosen(plan.n_anchors, max_anchors, seed, EVAL_ANCHORS_SALT)
    return EvalSet(groups, plan.anchors[pick], negatives[pick])
