/**
 * Notebook imports are compiled by tslab's own TypeScript (5.0, non-strict, Node10 resolution),
 * not by the project's compiler. This check compiles src/lab.ts the way tslab does, so code that
 * only type-checks under strict TS 5.9 (e.g. boolean-discriminant narrowing) fails `make test`
 * instead of failing a notebook cell.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { repoRoot } from "../util/repo-root.js";

export interface CompatProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export function checkTslabCompat(entry = "src/lab.ts"): CompatProblem[] {
  const root = repoRoot();
  const req = createRequire(join(root, "node_modules", "tslab", "package.json"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = req("@tslab/typescript-for-tslab") as typeof import("typescript");
  const options: import("typescript").CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.NodeJs,
    esModuleInterop: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    resolveJsonModule: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
    typeRoots: [join(root, "node_modules", "@types")],
  };
  const program = ts.createProgram([join(root, entry)], options);
  const diags = ts.getPreEmitDiagnostics(program);
  return diags
    .filter((d) => d.file && !d.file.fileName.includes("node_modules"))
    .map((d) => {
      const pos = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return { file: d.file!.fileName.replace(root + "/", ""), line: pos.line + 1, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") };
    });
}
