/**
 * A stage's code, derived rather than listed: the import closure of the TypeScript module that
 * builds it, plus the import closure (within python/) of every Python job it runs. Editing any file
 * a stage imports, however indirectly, changes its code hash; an npm package enters as its
 * installed version (`npm:umap-js@1.4.0`), so an upgrade makes the stages that use it stale.
 *
 * Imports are read from the source text (static `import … from`, `export … from`, side-effect
 * `import "x"`, literal `import("x")` / `require("x")`; Python `import burnqed.x`,
 * `from burnqed.x import …`, `from burnqed import x`, relative `from .x import …`). Comments are
 * stripped first. A relative import that resolves to no file is an error naming both files: the
 * stage could not run either.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { repoRoot } from "../util/repo-root.js";
import { sha256Text } from "./hash.js";

export interface CodeDecl {
  /** Repo-relative TypeScript module that builds the stage (e.g. "src/stages/ebm.ts"). */
  readonly module: string;
  /** Python jobs the stage runs: `python -m burnqed.<job>` (a dotted name for a module in a package: `joint.train`). */
  readonly jobs?: readonly string[];
}

interface FileInfo {
  readonly mtime_ms: number;
  readonly size: number;
  readonly hash: string;
  /** Repo-relative files and `npm:` package keys this file imports. */
  readonly deps: readonly string[];
}

const files = new Map<string, FileInfo>();

function info(root: string, rel: string, parse: (abs: string, text: string) => string[]): FileInfo {
  const abs = join(root, rel);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new Error(`stage code file '${rel}' does not exist under ${root}`);
  }
  const cached = files.get(abs);
  if (cached && cached.mtime_ms === st.mtimeMs && cached.size === st.size) return cached;
  const text = readFileSync(abs, "utf8");
  const fi: FileInfo = { mtime_ms: st.mtimeMs, size: st.size, hash: sha256Text(text), deps: parse(abs, text) };
  files.set(abs, fi);
  return fi;
}

function stripJsComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

const TS_SPECIFIERS = [
  /\bfrom\s*["']([^"']+)["']/g,
  /^\s*import\s*["']([^"']+)["']/gm,
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
];

function tsDeps(root: string): (abs: string, text: string) => string[] {
  return (abs, text) => {
    const code = stripJsComments(text);
    const out = new Set<string>();
    for (const re of TS_SPECIFIERS) {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(code)) !== null) {
        const spec = m[1]!;
        if (spec.startsWith("node:")) continue;
        if (spec.startsWith(".")) out.add(relative(root, resolveTs(abs, spec)));
        else out.add(npmKey(root, spec));
      }
    }
    return [...out].sort();
  };
}

function resolveTs(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, ".ts"), base.replace(/\.mjs$/, ".mts"), base.replace(/\.cjs$/, ".cts"), `${base}.ts`, join(base, "index.ts")];
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return c;
  throw new Error(`${from}: import '${spec}' resolves to no file (tried ${candidates.map((c) => relative(dirname(from), c)).join(", ")})`);
}

const npmVersions = new Map<string, string>();

/** `npm:<package>@<installed version>` (builtins without `node:` resolve to `node:<name>`). */
function npmKey(root: string, spec: string): string {
  const parts = spec.split("/");
  const name = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  let v = npmVersions.get(name);
  if (v === undefined) {
    const pkg = join(root, "node_modules", name, "package.json");
    v = existsSync(pkg) ? String((JSON.parse(readFileSync(pkg, "utf8")) as { version?: unknown }).version ?? "unknown") : "builtin";
    npmVersions.set(name, v);
  }
  return v === "builtin" ? `node:${name}` : `npm:${name}@${v}`;
}

const PY_IMPORT = /^[ \t]*import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)/gm;
// `from x import a, b` on one line, or `from x import (a,\n b)` across lines
const PY_FROM = /^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([^\n]*))/gm;

function pyDeps(root: string): (abs: string, text: string) => string[] {
  const pkgRoot = join(root, "python");
  return (abs, text) => {
    const code = text.replace(/#.*$/gm, "");
    const out = new Set<string>();
    const addModule = (dotted: string) => {
      const f = pyModuleFile(pkgRoot, dotted);
      if (f) {
        out.add(relative(root, f));
        // importing a.b.c runs a/__init__.py and a/b/__init__.py first
        const segs = dotted.split(".");
        for (let i = 1; i < segs.length; i++) {
          const init = join(pkgRoot, ...segs.slice(0, i), "__init__.py");
          if (existsSync(init)) out.add(relative(root, init));
        }
      }
    };
    const here = relative(pkgRoot, dirname(abs)).split(sep).filter(Boolean);
    PY_IMPORT.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = PY_IMPORT.exec(code)) !== null) for (const name of m[1]!.split(",")) if (name.trim().startsWith("burnqed")) addModule(name.trim());
    PY_FROM.lastIndex = 0;
    while ((m = PY_FROM.exec(code)) !== null) {
      let mod = m[1]!;
      if (mod.startsWith(".")) {
        const dots = mod.length - mod.replace(/^\.+/, "").length;
        const pkg = here.slice(0, here.length - (dots - 1));
        mod = [...pkg, mod.slice(dots)].filter(Boolean).join(".");
      }
      if (!mod.startsWith("burnqed")) continue;
      addModule(mod);
      const names = (m[2] ?? m[3] ?? "").split(",").map((x) => x.trim().split(/\s+/)[0]!).filter((x) => /^\w+$/.test(x));
      for (const name of names) addModule(`${mod}.${name}`); // `from burnqed import events`
    }
    out.delete(relative(root, abs));
    return [...out].sort();
  };
}

function pyModuleFile(pkgRoot: string, dotted: string): string | null {
  const p = join(pkgRoot, ...dotted.split("."));
  if (existsSync(`${p}.py`)) return `${p}.py`;
  if (existsSync(join(p, "__init__.py"))) return join(p, "__init__.py");
  return null;
}

function closure(root: string, start: readonly string[], parse: (abs: string, text: string) => string[], out: Map<string, string>): void {
  const stack = [...start];
  while (stack.length) {
    const rel = stack.pop()!;
    if (out.has(rel)) continue;
    if (rel.startsWith("npm:") || rel.startsWith("node:")) {
      out.set(rel, rel);
      continue;
    }
    const fi = info(root, rel, parse);
    out.set(rel, fi.hash);
    for (const d of fi.deps) if (!out.has(d)) stack.push(d);
  }
}

/** Per-file hash of a stage's code: repo-relative path (or `npm:` key) → sha256 (or the version key). */
export function stageCodeFiles(decl: CodeDecl): Record<string, string> {
  const root = repoRoot();
  const out = new Map<string, string>();
  // an absolute module (a test's temp file) is keyed by its path relative to the repository
  closure(root, [isAbsolute(decl.module) ? relative(root, decl.module) : decl.module], tsDeps(root), out);
  const jobs = (decl.jobs ?? []).map((j) => {
    const f = pyModuleFile(join(root, "python"), `burnqed.${j}`);
    if (!f) throw new Error(`stage declares Python job '${j}', but python/burnqed/${j.replace(/\./g, "/")}.py does not exist`);
    return relative(root, f);
  });
  if (jobs.length) closure(root, [...jobs, "python/burnqed/__init__.py"], pyDeps(root), out);
  return Object.fromEntries([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}
