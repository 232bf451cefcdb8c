/**
 * The datasets of plan Task 0.3: where they come from (Hugging Face / GitHub), the format reader,
 * the Lean they were written for and the plan's inventory estimates (where a run keeps them:
 * RunPaths.data.downloads).
 * Lean pins are from ../shared/data/README.md (dataset cards, papers, the repos' manifests).
 */
import type { Source } from "../artifacts/schemas.js";
import type { DatasetPin } from "../lean/version-audit.js";

/** Reader for a dataset family (ingest-*.ts). */
export type DatasetFormat = "goedel" | "lean_workbook" | "numinamath" | "minif2f";
export const DATASET_FORMATS: readonly DatasetFormat[] = ["goedel", "lean_workbook", "numinamath", "minif2f"];

export interface CatalogEntry {
  readonly format: DatasetFormat;
  readonly dataset: string;
  readonly source: Source;
  readonly lean: string;
  readonly mathlib: string | null;
  readonly evidence: string;
  readonly plan: { readonly statements: string; readonly with_proofs: string; readonly distribution: string };
  download(abs_dir: string): string[];
}

const hf = (id: string) => (dir: string) => [`huggingface-cli download ${id} --repo-type dataset --local-dir ${dir}`];

export const DATASET_CATALOG: readonly CatalogEntry[] = [
  {
    format: "goedel",
    dataset: "Goedel-LM/Lean-workbook-proofs",
    source: "workbook",
    lean: "v4.9.0-rc1",
    mathlib: "2f65ba7f1a9144b20c8e7358513548e317d26de1",
    evidence: "Goedel-Prover's mathlib4 submodule (xinhjBrant/mathlib4@2f65ba7, branch deepseek)",
    plan: { statements: "29,700", with_proofs: "29,700", distribution: "Goedel-Prover solved" },
    download: hf("Goedel-LM/Lean-workbook-proofs"),
  },
  {
    format: "lean_workbook",
    dataset: "internlm/Lean-Workbook",
    source: "workbook",
    lean: "v4.8.0-rc1",
    mathlib: null,
    evidence: "the plan (InternLM-Math's leanworkbook readme says v4.7.0)",
    plan: { statements: "57,231 + 82,893 (Plus)", with_proofs: "~15K + ~10K (est.)", distribution: "Math contest forums" },
    download: hf("internlm/Lean-Workbook"),
  },
  {
    format: "numinamath",
    dataset: "AI-MO/NuminaMath-LEAN",
    source: "numinamath",
    lean: "v4.15.0",
    mathlib: null,
    evidence: "HF card (Mathlib v4.15.0)",
    plan: { statements: "100,000", with_proofs: "~20K (est.)", distribution: "IMO/USAMO/AMC/AIME" },
    download: hf("AI-MO/NuminaMath-LEAN"),
  },
  {
    format: "minif2f",
    dataset: "miniF2F (DeepSeek-Prover-V1.5 minif2f.jsonl)",
    source: "minif2f",
    lean: "v4.9.0-rc1",
    mathlib: "2f65ba7f1a9144b20c8e7358513548e317d26de1",
    evidence: "DeepSeek-Prover-V1.5's mathlib4 submodule",
    plan: { statements: "488 (244 valid + 244 test)", with_proofs: "—", distribution: "AMC/AIME/IMO/MATH" },
    download: (dir) => [
      `mkdir -p ${dir} && curl -L -o ${dir}/minif2f.jsonl https://raw.githubusercontent.com/deepseek-ai/DeepSeek-Prover-V1.5/main/datasets/minif2f.jsonl`,
      `# or the Lean 4.24 per-problem files: git clone --depth 1 https://github.com/yangky11/miniF2F-lean4 ${dir}/miniF2F-lean4`,
    ],
  },
];

export function catalogEntry(format: DatasetFormat): CatalogEntry {
  return DATASET_CATALOG.find((c) => c.format === format)!;
}

/** Pins for the version audit (a dataset folder with its own lean-toolchain overrides these). */
export function catalogPins(): DatasetPin[] {
  return DATASET_CATALOG.map((c) => ({ dataset: c.dataset, lean: c.lean, mathlib: c.mathlib, evidence: c.evidence }));
}
