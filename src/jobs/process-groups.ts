/**
 * Process groups of running jobs, and the one place that signals them.
 *
 * Jobs are spawned detached (their own process group, pgid = child pid), so one signal to -pgid
 * reaches the job and everything it started, and nothing else. While any group is tracked, exit
 * and SIGINT/SIGTERM handlers of this Node process SIGKILL the groups (a dying parent cannot wait
 * for a grace period; jobs checkpoint periodically). Handlers are removed when no job runs.
 */

export type ParentShutdown = "exit" | "SIGINT" | "SIGTERM";

/** Called just before a tracked group is killed because this process is going down. */
export type OnParentShutdown = (why: ParentShutdown) => void;

const groups = new Map<number, OnParentShutdown | undefined>();
let installed = false;

/** Sends `signal` to every process of group `pgid`. False when the group no longer exists. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to signal process group ${pgid}`);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

function killAll(why: ParentShutdown): void {
  for (const [pgid, onShutdown] of groups) {
    try {
      onShutdown?.(why);
    } catch {
      // the kill below matters more than the callback
    }
    try {
      signalProcessGroup(pgid, "SIGKILL");
    } catch {
      // EPERM: not ours any more; nothing else to do while exiting
    }
  }
  groups.clear();
}

const onExit = (): void => killAll("exit");

function onSignal(signal: "SIGINT" | "SIGTERM"): void {
  killAll(signal);
  uninstall();
  // We replaced the default action (exit) by listening; restore it unless someone else listens.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
const onSigint = (): void => onSignal("SIGINT");
const onSigterm = (): void => onSignal("SIGTERM");

function install(): void {
  if (installed) return;
  process.on("exit", onExit);
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  installed = true;
}

function uninstall(): void {
  if (!installed) return;
  process.off("exit", onExit);
  process.off("SIGINT", onSigint);
  process.off("SIGTERM", onSigterm);
  installed = false;
}

/** Tracks a job's group until the returned function is called (once it has exited). */
export function trackProcessGroup(pgid: number, onShutdown?: OnParentShutdown): () => void {
  groups.set(pgid, onShutdown);
  install();
  return () => {
    groups.delete(pgid);
    if (groups.size === 0) uninstall();
  };
}

/** Number of tracked groups (tests). */
export function trackedProcessGroupCount(): number {
  return groups.size;
}
