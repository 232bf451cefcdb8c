/**
 * Where a real run finds its base model (one place): BURNQED_BASE_MODEL, a local folder with the
 * Hugging Face layout (DeepSeek-Prover-V1.5-Base: `huggingface-cli download ... --local-dir`).
 * The model decides results, so its identity is part of the keys of the stages that read it: the
 * hash of its small files (config, tokenizer, weight index) and the names, sizes and mtimes of its
 * weight files — hashing 14 GB of weights on every status check would cost minutes; a model
 * rewritten in place with the same shape has new mtimes (python: burnqed.hf_loading.model_identity).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

export interface BaseModel {
  readonly dir: string | null;
  /** null when the folder is not there (the stage then fails saying so). */
  readonly fingerprint: string | null;
}

const SMALL = /\.(json|model|txt|py)$/;
const WEIGHTS = /\.(safetensors|bin|pt)$/;

export function modelFingerprint(dir: string): string | null {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return null;
  const h = createHash("sha256");
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (!statSync(p).isFile()) continue;
    if (SMALL.test(name)) h.update(`${name}\0`).update(readFileSync(p));
    else if (WEIGHTS.test(name)) {
      const st = statSync(p, { bigint: true });
      h.update(`${name}\0${st.size}\0${st.mtimeNs}\0`); // rewritten in place with the same shape: a new mtime
    }
  }
  return h.digest("hex");
}

export function baseModel(env: NodeJS.ProcessEnv = process.env): BaseModel {
  const raw = (env["BURNQED_BASE_MODEL"] ?? "").trim();
  if (!raw) return { dir: null, fingerprint: null };
  const dir = isAbsolute(raw) ? raw : resolve(raw);
  return { dir, fingerprint: modelFingerprint(dir) };
}

export function requireBaseModel(m: BaseModel, stage: string): string {
  if (m.dir === null) throw new Error(`${stage} needs the base model: set BURNQED_BASE_MODEL to its local folder (e.g. huggingface-cli download deepseek-ai/DeepSeek-Prover-V1.5-Base --local-dir <dir>)`);
  if (m.fingerprint === null) throw new Error(`${stage}: BURNQED_BASE_MODEL=${m.dir} is not a folder`);
  return m.dir;
}
