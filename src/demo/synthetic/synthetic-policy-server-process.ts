/**
 * Starts and stops the synthetic policy server as a child process (its own process group,
 * signalled by its own id only; SIGKILLed if this process goes down first).
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { signalProcessGroup, trackProcessGroup } from "../../jobs/process-groups.js";
import { repoRoot } from "../../util/repo-root.js";

export const SYNTHETIC_SERVER_SCRIPT = "src/demo/synthetic/synthetic-policy-server-main.ts";

export interface SyntheticServerProcess {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM to its group, SIGKILL after grace_ms; resolves once it has exited. */
  stop(grace_ms?: number): Promise<void>;
}

export function spawnSyntheticPolicyServer(o: { readonly world_file: string; readonly config_file: string; readonly start_timeout_ms?: number }): Promise<SyntheticServerProcess> {
  const root = repoRoot();
  const argv = ["--import", "tsx", join(root, SYNTHETIC_SERVER_SCRIPT), "--world", resolve(o.world_file), "--config", resolve(o.config_file), "--watch-stdin"];
  const child = spawn(process.execPath, argv, { cwd: root, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  const pid = child.pid!;
  const untrack = trackProcessGroup(pid);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  void exited.then(untrack);
  let stdout = "";
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  return new Promise((resolveStart, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      signalProcessGroup(pid, "SIGKILL");
      reject(new Error(`synthetic policy server (node ${argv.join(" ")}): ${why}; stderr: ${stderr.slice(-1000)}`));
    };
    const timer = setTimeout(() => fail(`no URL within ${o.start_timeout_ms ?? 20000} ms`), o.start_timeout_ms ?? 20000);
    const early = (code: number | null, signal: string | null) => fail(`exited (${signal ?? `code ${code}`}) before it listened`);
    child.once("exit", early);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      const nl = stdout.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      child.off("exit", early);
      const url = (JSON.parse(stdout.slice(0, nl)) as { url: string }).url;
      resolveStart({
        url,
        pid,
        stop: async (grace_ms = 2000) => {
          signalProcessGroup(pid, "SIGTERM");
          const t = setTimeout(() => signalProcessGroup(pid, "SIGKILL"), grace_ms);
          await exited;
          clearTimeout(t);
        },
      });
    });
  });
}
