"use strict";
/**
 * The notebooks' `lab` module: src/lab.ts and everything it imports, bundled by esbuild into one
 * CommonJS file at each kernel start (~0.6 s) and loaded from there. Importing ./src/lab.js
 * directly also works, but tslab then type-checks and compiles the whole import graph with its
 * own TypeScript, ~9 s per notebook (bench/lab-import.py; bench/results/lab-import.md). Built fresh every
 * time, so a notebook always runs the current src (the stage cache keys hash the same sources).
 * The bundle is written under node_modules/.cache so the external onnxruntime-node resolves from
 * the repository's node_modules, and it is removed once loaded.
 */
const { buildSync } = require("esbuild");
const { mkdirSync, rmSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const dir = join(root, "node_modules", ".cache", "burnqed-lab");
const out = join(dir, `lab-${process.pid}-${Date.now()}.cjs`);
mkdirSync(dir, { recursive: true });
try {
  buildSync({
    entryPoints: [join(root, "src", "lab.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile: out,
    external: ["onnxruntime-node", "tslab"],
    keepNames: true,
    sourcemap: "inline",
    logLevel: "error",
  });
  module.exports = require(out);
} finally {
  rmSync(out, { force: true });
}
