"""Completion-only labels computed at tokenisation, on two fake tokenizers (markers fragmented /
single special tokens) and on real Lean states: exact ids and labels, the labelled span decodes to
the tactic, boundary errors name the row, left truncation of the state is counted."""
from __future__ import annotations

import glob
import json
import os
import tempfile
import unittest
from typing import Any

from burnqed.sft_data import (
    GOAL_MARKER,
    IGNORE_INDEX,
    PROOFSTEP_MARKER,
    SftRecipe,
    marker_token_ids,
    normalise_whitespace,
    read_sft_jsonl,
    tokenize_sft_example,
    tokenize_sft_records,
)
from sft_fixtures import BOS, EOS, REAL_STATES, GreedyTokenizer, fragment_tokenizer, special_tokenizer

SHARED_STATES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "tactic_states")
TACTICS = ("simp", "nlinarith [h₀, h₁]", "norm_num at h₀ ⊢", "rw [h₁, h₂]\n  linarith", "intro x hx")


def labelled(example: Any) -> list[int]:
    return [t for t in example.labels if t != IGNORE_INDEX]


class ExactMaskTest(unittest.TestCase):
    def test_fragmented_markers(self) -> None:
        tok = fragment_tokenizer()
        ex = tokenize_sft_example(tok, "⊢ a", "simp", row="r0")
        prompt = [BOS, *tok.ids("[", "GO", "AL", "]", "⊢", " ", "a", "[", "PRO", "OF", "STEP", "]")]
        self.assertEqual(list(ex.input_ids), prompt + tok.ids("simp") + [EOS])
        self.assertEqual(list(ex.labels), [IGNORE_INDEX] * len(prompt) + tok.ids("simp") + [EOS])
        self.assertEqual((ex.n_completion_tokens, ex.n_state_tokens_dropped), (2, 0))

    def test_single_special_tokens(self) -> None:
        tok = special_tokenizer()
        ex = tokenize_sft_example(tok, "⊢ a", "simp", row="r0")
        prompt = [BOS, *tok.ids("[GOAL]", "⊢", " ", "a", "[PROOFSTEP]")]
        self.assertEqual(list(ex.input_ids), prompt + tok.ids("simp") + [EOS])
        self.assertEqual(list(ex.labels), [IGNORE_INDEX] * len(prompt) + tok.ids("simp") + [EOS])
        self.assertEqual(len(prompt), 6)

    def test_multi_token_tactic(self) -> None:
        for tok in (fragment_tokenizer(), special_tokenizer()):
            ex = tokenize_sft_example(tok, "⊢ a", "rw [h]", row="r0")
            self.assertEqual(labelled(ex), tok.ids("rw", " ", "[", "h", "]") + [EOS])
            self.assertEqual(ex.n_completion_tokens, 6)

    def test_tokenizer_appended_eos_is_not_doubled(self) -> None:
        for tok in (fragment_tokenizer(append_eos=True), special_tokenizer(append_eos=True)):
            ex = tokenize_sft_example(tok, "⊢ a", "simp", row="r0")
            self.assertEqual(ex.input_ids[-2:], (tok.ids("simp")[0], EOS))
            self.assertEqual(ex.input_ids.count(EOS), 1)
            self.assertEqual(labelled(ex), tok.ids("simp") + [EOS])

    def test_marker_tokenisation(self) -> None:
        self.assertEqual([len(v) for v in marker_token_ids(fragment_tokenizer()).values()], [4, 5])
        self.assertEqual([len(v) for v in marker_token_ids(special_tokenizer()).values()], [1, 1])


class DecodeTest(unittest.TestCase):
    def check(self, tok: GreedyTokenizer, state: str, tactic: str) -> None:
        ex = tokenize_sft_example(tok, state, tactic, row="real")
        n = len(labelled(ex))
        self.assertTrue(all(t == IGNORE_INDEX for t in ex.labels[:-n]))  # labels are exactly a suffix
        self.assertEqual(list(ex.labels[-n:]), list(ex.input_ids[-n:]))
        self.assertEqual(ex.labels[-1], EOS)
        self.assertEqual(normalise_whitespace(tok.decode(ex.input_ids[-n:-1])), normalise_whitespace(tactic))
        self.assertEqual(tok.decode(ex.input_ids[1:-n]), GOAL_MARKER + state + PROOFSTEP_MARKER)

    def test_real_states_and_tactics(self) -> None:
        for tok in (fragment_tokenizer(), special_tokenizer()):
            for state in REAL_STATES:
                for tactic in TACTICS:
                    self.check(tok, state, tactic)

    @unittest.skipUnless(os.path.isdir(SHARED_STATES), "shared tactic states not present")
    def test_traced_pairs_from_shared_data(self) -> None:
        pairs: list[tuple[str, str]] = []
        for path in sorted(glob.glob(os.path.join(SHARED_STATES, "llemma_formal2formal_minif2f_search", "llemma7b_minif2f_test", "*.json"))):
            with open(path, encoding="utf-8") as f:
                results = json.load(f)["results"]
            pairs += [(s["state_before"], s["tactic"]) for r in results for a in r["attempt_results"] for s in a.get("trace") or []]
        self.assertGreater(len(pairs), 50)
        tok = special_tokenizer()  # the fragment tokenizer raises on tactics starting with '(' (next test)
        for state, tactic in pairs:
            self.check(tok, state, tactic)


class BoundaryErrorTest(unittest.TestCase):
    def test_straddling_token_names_the_row(self) -> None:
        # fragment vocab has "](": a tactic starting with "(" merges with the marker's "]"
        with self.assertRaisesRegex(ValueError, r"row thm_a:3: token \d+ .*across the end of \[PROOFSTEP\]"):
            tokenize_sft_example(fragment_tokenizer(), "⊢ a", "(h.1)", row="thm_a:3")
        ex = tokenize_sft_example(special_tokenizer(), "⊢ a", "(h.1)", row="thm_a:3")  # a special token is never merged
        self.assertEqual(special_tokenizer().decode(labelled(ex)[:-1]), "(h.1)")

    def test_boundary_not_found_names_the_row(self) -> None:
        class SelfTruncating(GreedyTokenizer):  # e.g. a tokenizer that cuts at its model_max_length
            def __call__(self, text: str, **kw: Any) -> dict[str, Any]:
                out = super().__call__(text, **kw)
                return {k: v[:8] for k, v in out.items()}

        with self.assertRaisesRegex(ValueError, r"row thm_b:7: no token starts at or after the end of \[PROOFSTEP\].*refusing"):
            tokenize_sft_example(SelfTruncating(()), "⊢ a", "simp", row="thm_b:7")

    def test_decode_mismatch_names_the_row(self) -> None:
        class Lossy(GreedyTokenizer):
            def decode(self, ids: Any, skip_special_tokens: bool = False) -> str:
                return super().decode(ids).replace("₁", "1")

        with self.assertRaisesRegex(ValueError, r"row thm_c:1: the labelled tokens decode to 'rw \[h1\]'"):
            tokenize_sft_example(Lossy(()), "⊢ a", "rw [h₁]", row="thm_c:1")

    def test_unmatched_special_token(self) -> None:
        class Unmatched(GreedyTokenizer):  # knows [PROOFSTEP] but does not match it in text
            def convert_tokens_to_ids(self, token: str) -> Any:
                return 99 if token == PROOFSTEP_MARKER else super().convert_tokens_to_ids(token)

        with self.assertRaisesRegex(ValueError, r"row r: the tokenizer has \[PROOFSTEP\] as token 99"):
            tokenize_sft_example(Unmatched(()), "⊢ a", "simp", row="r")

    def test_bad_inputs(self) -> None:
        with self.assertRaisesRegex(ValueError, "row r: empty tactic"):
            tokenize_sft_example(special_tokenizer(), "⊢ a", "  ", row="r")
        with self.assertRaisesRegex(ValueError, r"row r: the state contains \[PROOFSTEP\]"):
            tokenize_sft_example(special_tokenizer(), "⊢ a [PROOFSTEP] b", "simp", row="r")

    def test_tactic_cut_by_max_length(self) -> None:
        tok = special_tokenizer()  # BOS [GOAL] + [PROOFSTEP] + 10 tactic tokens + EOS = 14 > 13
        tactic = "nlinarith [h₀, h₁]"
        with self.assertRaisesRegex(ValueError, r"row thm_d:2: the tactic would be cut by max_length 13.*14 tokens \(11 for the tactic and EOS\)"):
            tokenize_sft_example(tok, REAL_STATES[1], tactic, SftRecipe(max_length=13), row="thm_d:2")
        ex = tokenize_sft_example(tok, REAL_STATES[1], tactic, SftRecipe(max_length=14), row="thm_d:2")
        self.assertEqual(len(ex), 14)  # the whole state dropped, markers and tactic kept
        self.assertEqual(tok.decode(ex.input_ids), "<s>[GOAL][PROOFSTEP]" + tactic + "</s>")


class TruncationTest(unittest.TestCase):
    def test_long_state_cut_from_the_left(self) -> None:
        state = "\n".join(f"h{i} : x{i} = {i}" for i in range(40)) + "\n⊢ x = 65"
        for tok, n_goal in ((fragment_tokenizer(), 4), (special_tokenizer(), 1)):
            full = tokenize_sft_example(tok, state, "simp", SftRecipe(max_length=4096), row="r")
            ex = tokenize_sft_example(tok, state, "simp", SftRecipe(max_length=50), row="r")
            self.assertEqual(len(ex), 50)
            self.assertEqual(ex.n_state_tokens_dropped, len(full) - 50)
            self.assertEqual(ex.input_ids[: 1 + n_goal], full.input_ids[: 1 + n_goal])  # BOS + [GOAL] kept
            self.assertEqual(ex.input_ids[1 + n_goal :], full.input_ids[len(full) - 50 + 1 + n_goal :])  # the tail kept
            text = tok.decode(ex.input_ids[1 + n_goal : -2])
            self.assertTrue(text.endswith("⊢ x = 65" + PROOFSTEP_MARKER))
            self.assertTrue(state.endswith(text[: -len(PROOFSTEP_MARKER)]))
            self.assertEqual(labelled(ex), tok.ids("simp") + [EOS])

    def test_state_ending_in_a_token_shared_with_the_marker(self) -> None:
        tok = fragment_tokenizer()  # ")[" merges the state's last ")" with the marker's "["
        state = "h : a = b\n" * 10 + "⊢ f (x)"
        ex = tokenize_sft_example(tok, state, "simp", SftRecipe(max_length=16), row="r")  # BOS + 4 + "f", " ", "(", "x", ")[" + 4 + 2
        self.assertEqual(tok.decode(ex.input_ids), "<s>[GOAL]f (x)[PROOFSTEP]simp</s>")
        self.assertIn(tok.ids(")[")[0], ex.input_ids)
        ex = tokenize_sft_example(tok, state, "simp", SftRecipe(max_length=12), row="r")  # the shared token is kept with the marker
        self.assertEqual(tok.decode(ex.input_ids), "<s>[GOAL])[PROOFSTEP]simp</s>")
        with self.assertRaisesRegex(ValueError, "would be cut by max_length 11"):
            tokenize_sft_example(tok, state, "simp", SftRecipe(max_length=11), row="r")

    def test_dataset_counts(self) -> None:
        from burnqed.sft_data import SftRecord

        long_state = "\n".join(f"h{i} : x{i} = {i}" for i in range(40)) + "\n⊢ x = 65"
        records = [SftRecord(row=f"f:{i}", state=s, tactic="simp", theorem_name="t", depth=0) for i, s in enumerate([REAL_STATES[0], long_state, REAL_STATES[2]])]
        tok = special_tokenizer()
        full_long = len(tokenize_sft_example(tok, long_state, "simp"))
        examples, stats = tokenize_sft_records(tok, records, SftRecipe(max_length=64))
        self.assertEqual([e.row for e in examples], ["f:0", "f:1", "f:2"])
        self.assertEqual((stats.n_rows, stats.n_truncated_rows, stats.n_state_tokens_dropped, stats.max_tokens), (3, 1, full_long - 64, 64))
        self.assertEqual(stats.n_completion_tokens, 6)
        self.assertEqual(stats.n_tokens, sum(len(e) for e in examples))


class ReadJsonlTest(unittest.TestCase):
    def record(self, state: str, tactic: str, theorem: str = "mathd_algebra_478") -> dict[str, Any]:
        prompt = f"[GOAL]{state}[PROOFSTEP]"  # as src/data/sft-format.ts writes it
        return {"text": prompt + tactic, "prompt": prompt, "completion": tactic, "theorem_name": theorem, "source": "minif2f", "depth": 1}

    def test_round_trip_and_row_names(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sft_train.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                for s in REAL_STATES:
                    f.write(json.dumps(self.record(s, "linarith"), ensure_ascii=False) + "\n")
            recs = read_sft_jsonl(path)
            self.assertEqual([r.state for r in recs], list(REAL_STATES))
            self.assertEqual(recs[1].row, f"{path}:2 theorem 'mathd_algebra_478' depth 1")
            examples, _ = tokenize_sft_records(special_tokenizer(), recs)
            self.assertEqual(len(examples), 3)

    def test_bad_line_names_file_and_line(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sft_train.jsonl")
            bad = dict(self.record("⊢ a", "simp"), text="[GOAL]⊢ a[PROOFSTEP]ring")
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps(self.record("⊢ a", "simp")) + "\n" + json.dumps(bad) + "\n")
            with self.assertRaisesRegex(ValueError, rf"row {path}:2 \(theorem 'mathd_algebra_478'\): text is not prompt \+ completion"):
                read_sft_jsonl(path)

    def test_recipe_rejects_unknown_keys(self) -> None:
        with self.assertRaisesRegex(ValueError, "unknown key"):
            SftRecipe.from_dict({"max_len": 10})
        with self.assertRaisesRegex(ValueError, "truncation_side must be 'left'"):
            SftRecipe.from_dict({"truncation_side": "right"})
        self.assertEqual(SftRecipe.from_dict({}).max_length, 2048)


if __name__ == "__main__":
    unittest.main()
