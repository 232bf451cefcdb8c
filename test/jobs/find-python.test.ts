import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { PythonNotFoundError, clearPythonCache, findPython } from "../../src/jobs/index.js";

async function withPythonEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env["PYTHON"];
  if (value === undefined) delete process.env["PYTHON"];
  else process.env["PYTHON"] = value;
  clearPythonCache();
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env["PYTHON"];
    else process.env["PYTHON"] = saved;
    clearPythonCache();
  }
}

test("finds an interpreter that imports numpy, and caches it", async () => {
  await withPythonEnv(undefined, async () => {
    const python = await findPython();
    assert.ok(["python3", "/usr/bin/python3", "python"].includes(python));
    assert.equal(execFileSync(python, ["-c", "import numpy; print('ok')"], { encoding: "utf8" }).trim(), "ok");
    assert.equal(findPython({ modules: ["numpy"] }), findPython({ modules: ["numpy", "numpy"] })); // same cached promise
  });
});

test("PYTHON without the module: error names the interpreter and the module", async () => {
  await withPythonEnv("/usr/bin/python3", async () => {
    await assert.rejects(findPython({ modules: ["numpy", "no_such_module_xyz"] }), (err: unknown) => {
      assert.ok(err instanceof PythonNotFoundError);
      assert.match(err.message, /PYTHON=\/usr\/bin\/python3 cannot import no_such_module_xyz, numpy: .*No module named 'no_such_module_xyz'/);
      return true;
    });
  });
});

test("no candidate has the module: error lists what was tried and how to fix", async () => {
  await withPythonEnv(undefined, async () => {
    await assert.rejects(findPython({ modules: ["no_such_module_xyz"] }), (err: unknown) => {
      assert.ok(err instanceof PythonNotFoundError);
      for (const part of ["python3:", "/usr/bin/python3:", "python:", "apt-get install python3-numpy python3-torch", "PYTHON="]) {
        assert.ok(err.message.includes(part), `missing ${part} in ${err.message}`);
      }
      return true;
    });
  });
});

test("module names are validated before anything runs", () => {
  assert.throws(() => findPython({ modules: ["os; import shutil"] }), /invalid module name/);
});
