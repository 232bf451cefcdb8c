"""The SFT schedule, exact: the plan's step count, warmup and decay values, where a global step
lies, how a step's examples are shared between ranks and cut into micro-batches."""
from __future__ import annotations

import math
import unittest

from burnqed.sft_packing import plan_steps, unpacked_schedule
from burnqed.sft_schedule import epoch_seed, locate, lr_at, micro_batches, rank_rows, round_up, split_for_ranks, steps_per_epoch, warmup_steps


class LearningRateTest(unittest.TestCase):
    def test_the_plans_numbers(self) -> None:
        # plan Task 1.1: 80K pairs / 16 per step = 5K steps an epoch, 3 epochs = 15K steps, warmup 5 %
        self.assertEqual(steps_per_epoch(80_000, 16), 5_000)
        total = 3 * steps_per_epoch(80_000, 16)
        self.assertEqual(total, 15_000)
        self.assertEqual(warmup_steps(total, 0.05), 750)
        self.assertEqual(warmup_steps(10, 0.05), 1)  # ceil, as Hugging Face
        self.assertEqual(warmup_steps(10, 0.0), 0)

    def test_linear_warmup_then_linear_decay(self) -> None:
        total, warm, peak = 10, 2, 1.0
        got = [lr_at(s, total, warm, peak, "linear") for s in range(total)]
        # warmup: (s + 1) / 2; decay over 8 steps from the peak: (8 - done) / 8
        self.assertEqual(got, [0.5, 1.0, 1.0, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8])
        self.assertGreater(got[0], 0.0)  # unlike Hugging Face, the first step learns

    def test_cosine_and_constant(self) -> None:
        total, warm = 10, 2
        self.assertEqual(lr_at(2, total, warm, 2.0, "cosine"), 2.0)
        self.assertAlmostEqual(lr_at(6, total, warm, 2.0, "cosine"), 1.0)  # half-way down the cosine
        self.assertAlmostEqual(lr_at(9, total, warm, 2.0, "cosine"), 2.0 * 0.5 * (1 + math.cos(math.pi * 7 / 8)))
        self.assertEqual([lr_at(s, total, warm, 2.0, "constant") for s in (0, 1, 5, 9)], [1.0, 2.0, 2.0, 2.0])
        self.assertEqual(lr_at(0, 1, 0, 3e-5), 3e-5)  # a one-step run without warmup

    def test_errors(self) -> None:
        with self.assertRaisesRegex(ValueError, "outside the run"):
            lr_at(10, 10, 1, 1.0)
        with self.assertRaisesRegex(ValueError, "schedule must be one of"):
            lr_at(0, 10, 1, 1.0, "step")
        with self.assertRaisesRegex(ValueError, "warmup_ratio"):
            warmup_steps(10, 1.0)


class PositionTest(unittest.TestCase):
    def test_steps_per_epoch_matches_the_unpacked_schedule(self) -> None:
        for n, k, drop in ((70, 16, False), (70, 16, True), (64, 16, False), (64, 16, True), (5, 16, False), (5, 16, True), (1, 1, False)):
            self.assertEqual(steps_per_epoch(n, k, drop), len(unpacked_schedule(n, k, seed=0, drop_last=drop)), (n, k, drop))

    def test_locate(self) -> None:
        self.assertEqual(locate(0, 3), (0, 0))
        self.assertEqual(locate(2, 3), (0, 2))
        self.assertEqual(locate(3, 3), (1, 0))
        self.assertEqual(locate(7, 3), (2, 1))
        self.assertEqual(locate(9, 3), (3, 0))  # all of 3 epochs done
        with self.assertRaises(ValueError):
            locate(-1, 3)

    def test_epoch_seeds_differ(self) -> None:
        self.assertEqual([epoch_seed(7, e) for e in range(3)], [7, 8, 9])
        self.assertNotEqual(unpacked_schedule(40, 16, epoch_seed(0, 0)), unpacked_schedule(40, 16, epoch_seed(0, 1)))


class RanksTest(unittest.TestCase):
    lengths = {0: 9, 1: 3, 2: 7, 3: 5, 4: 1, 5: 6}

    def test_longest_first_to_the_least_loaded_rank(self) -> None:
        # longest first, each to the lighter rank: 0(9) r0=9; 2(7) r1=7; 5(6) r1=13; 3(5) r0=14; 1(3) r1=16; 4(1) r0=15.
        # Within a rank the step's order is kept.
        self.assertEqual(split_for_ranks([0, 1, 2, 3, 4, 5], self.lengths, 2), [(0, 3, 4), (1, 2, 5)])
        self.assertEqual(split_for_ranks([4, 1], self.lengths, 3), [(1,), (4,), ()])  # a rank may get nothing
        self.assertEqual(split_for_ranks([5, 0, 1], self.lengths, 1), [(5, 0, 1)])

    def test_one_rank_gives_plan_steps_rows(self) -> None:
        lengths = [5, 9, 3, 6, 2, 8, 4, 7, 2, 6]
        plan = plan_steps(lengths, [1] * 10, examples_per_step=5, max_tokens_per_row=12, seed=3)
        for step in plan:
            self.assertEqual(rank_rows(step.examples, lengths, 1, 0, 12, packed=True), list(step.rows))

    def test_ranks_partition_the_step(self) -> None:
        lengths = [5, 9, 3, 6, 2, 8, 4, 7, 1, 6, 3, 3, 2, 9, 4, 1]
        step = tuple(range(16))[::-1]
        for world in (1, 2, 3, 8):
            rows = [r for rank in range(world) for r in rank_rows(step, lengths, world, rank, 12, packed=True)]
            self.assertEqual(sorted(e for r in rows for e in r), list(range(16)), world)
            self.assertTrue(all(sum(lengths[e] for e in r) <= 12 for r in rows))
            loads = [sum(lengths[e] for r in rank_rows(step, lengths, world, rank, 12, True) for e in r) for rank in range(world)]
            self.assertLessEqual(max(loads) - min(loads), max(lengths), (world, loads))  # balanced to within one example

    def test_padded_layout_is_one_example_per_row_in_step_order(self) -> None:
        self.assertEqual(rank_rows((4, 0, 2), self.lengths, 1, 0, 100, packed=False), [(4,), (0,), (2,)])
        with self.assertRaises(ValueError):
            rank_rows((0,), self.lengths, 2, 2, 100, packed=True)

    def test_micro_batches_and_rounding(self) -> None:
        rows = [(0,), (1, 2), (3,), (4,), (5,)]
        self.assertEqual(micro_batches(rows, 2), [[(0,), (1, 2)], [(3,), (4,)], [(5,)]])
        self.assertEqual(micro_batches(rows, 1), [[r] for r in rows])
        self.assertEqual([round_up(n, 512) for n in (1, 512, 513, 4096)], [512, 512, 1024, 4096])
        self.assertEqual(round_up(37, 1), 37)


if __name__ == "__main__":
    unittest.main()
