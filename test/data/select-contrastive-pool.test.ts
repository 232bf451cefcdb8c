/**
 * select_contrastive_pool: min depth, harder sources first, deeper proofs next, deterministic ties.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hardnessTier, poolDocument, selectContrastivePool } from "../../src/data/select-contrastive-pool.js";
import type { ContrastiveRow } from "../../src/data/data-stats.js";
import type { Source } from "../../src/artifacts/schemas.js";

const row = (theorem_name: string, max_depth: number, source: Source = "minif2f", split: "train" | "val" = "train"): ContrastiveRow => ({ theorem_name, source, max_depth, n_pairs: max_depth, split });

test("tiers come from the contest in the name", () => {
  assert.deepEqual(
    ["imo_1959_p1", "usamo_2003_p5", "imosl_2007_algebra_p6", "aime_1983_p1", "amc12a_2019_p21", "mathd_algebra_478", "lean_workbook_10009", "induction_12dvd4expnp1p20"].map(hardnessTier),
    [3, 3, 3, 2, 1, 0, 0, 0],
  );
});

test("harder sources first, then deeper proofs; shallow proofs and excluded splits never chosen", () => {
  const rows = [row("mathd_algebra_1", 9), row("amc12a_2001_p2", 3), row("imo_1964_p1", 3), row("aime_1984_p5", 5), row("aime_1990_p4", 4), row("mathd_numbertheory_3", 2), row("imo_2019_p1", 6, "minif2f", "val"), row("lean_workbook_5", 7, "workbook"), row("numina_7", 7, "numinamath")];
  const pick = (p: Parameters<typeof selectContrastivePool>[1]) => selectContrastivePool(rows, p).map((r) => r.theorem_name);
  assert.deepEqual(pick({ max_theorems: 100, min_depth: 3, prefer_hard: true }), ["imo_2019_p1", "imo_1964_p1", "aime_1984_p5", "aime_1990_p4", "amc12a_2001_p2", "numina_7", "mathd_algebra_1", "lean_workbook_5"]);
  assert.deepEqual(pick({ max_theorems: 3, min_depth: 3, prefer_hard: true, splits: ["train"] }), ["imo_1964_p1", "aime_1984_p5", "aime_1990_p4"]);
  const unbiased = pick({ max_theorems: 100, min_depth: 3, prefer_hard: false });
  assert.equal(unbiased.length, 8);
  assert.ok(!unbiased.includes("mathd_numbertheory_3"));
  assert.deepEqual(pick({ max_theorems: 100, min_depth: 3, prefer_hard: false }), unbiased, "deterministic");
  const doc = poolDocument(selectContrastivePool(rows, { max_theorems: 2, min_depth: 3, prefer_hard: true }), { max_theorems: 2, min_depth: 3, prefer_hard: true }, new Map([["imo_2019_p1", { header: "import Mathlib", statement: "theorem imo_2019_p1 : True :=" }]]));
  assert.deepEqual(doc.counts, { theorems: 2, by_tier: { "3": 2 } });
  assert.deepEqual(doc.theorems[0], { name: "imo_2019_p1", source: "minif2f", max_depth: 6, tier: 3, split: "val", header: "import Mathlib", statement: "theorem imo_2019_p1 : True :=" });
});
