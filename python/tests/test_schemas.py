import unittest

from burnqed.schemas import check_record, columns, load_schemas


class SchemasTest(unittest.TestCase):
    def test_exported_tables_and_metric_keys(self) -> None:
        s = load_schemas()
        self.assertEqual(set(s["tables"]), {"theorems", "tactic_pairs", "trajectories", "failed_tactics", "embeddings_index", "contrastive_theorems"})
        # The trajectory columns stay compatible with the upstream burn-qed parquet.
        for c in ["theorem_name", "state_id", "parent_state_id", "state_pp", "tactic_applied", "depth_from_root",
                  "remaining_depth", "label", "llm_log_prob", "ebm_score", "is_proof_complete", "q_value", "visits"]:
            self.assertIn(c, columns("trajectories"))
        self.assertIn("rank1_d4+", s["metrics"]["ebm"])
        self.assertEqual(s["labels"], ["positive", "negative", "unknown"])

    def test_check_record_names_the_field(self) -> None:
        rec = {c: None for c in columns("tactic_pairs")}
        check_record("tactic_pairs", rec, "x.jsonl:1")
        del rec["depth"]
        with self.assertRaisesRegex(ValueError, r"x.jsonl:2: record does not match schema 'tactic_pairs': missing \['depth'\]"):
            check_record("tactic_pairs", rec, "x.jsonl:2")


if __name__ == "__main__":
    unittest.main()
