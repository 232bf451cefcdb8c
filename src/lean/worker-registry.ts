/**
 * A folder of small files, one per live REPL worker: its pid (= process group id), its start time
 * (from /proc, so a reused pid is never mistaken for it) and the pid + start time of the process
 * that owns it. When a tracing run is SIGKILLed, nothing in it can clean up; the next run with the
 * same folder calls `reapOrphans()`, which kills exactly the groups a dead owner left behind —
 * by their ids, after checking they are still the processes it started. Never by name.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { processesInGroups, readProcStat } from "./process-memory.js";
import { signalProcessGroup } from "../jobs/process-groups.js";

interface WorkerRecord {
  readonly pgid: number;
  readonly starttime: number;
  readonly owner_pid: number;
  readonly owner_starttime: number;
  readonly argv: readonly string[];
}

export interface ReapResult {
  /** Groups killed (their owner was dead and they were still the processes it started). */
  readonly killed: number[];
  /** Records dropped because their processes were already gone or not ours any more. */
  readonly stale: number;
  /** Records left alone because their owner is alive (another run uses the folder). */
  readonly owned_by_live: number;
}

function ownerIdentity(): { pid: number; starttime: number } {
  return { pid: process.pid, starttime: readProcStat(process.pid)?.starttime ?? -1 };
}

export class WorkerRegistry {
  private readonly owner = ownerIdentity();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private file(pgid: number): string {
    return join(this.dir, `${pgid}.json`);
  }

  record(pgid: number, argv: readonly string[]): void {
    const st = readProcStat(pgid);
    const rec: WorkerRecord = { pgid, starttime: st?.starttime ?? -1, owner_pid: this.owner.pid, owner_starttime: this.owner.starttime, argv };
    writeFileSync(this.file(pgid), JSON.stringify(rec) + "\n");
  }

  remove(pgid: number): void {
    rmSync(this.file(pgid), { force: true });
  }

  /** Kills the groups of workers whose owner died; drops records of groups that are gone. */
  reapOrphans(): ReapResult {
    const killed: number[] = [];
    let stale = 0;
    let owned_by_live = 0;
    for (const name of readdirSync(this.dir)) {
      if (!/^\d+\.json$/.test(name)) continue;
      let rec: WorkerRecord;
      try {
        rec = JSON.parse(readFileSync(join(this.dir, name), "utf8")) as WorkerRecord;
      } catch {
        rmSync(join(this.dir, name), { force: true });
        stale++;
        continue;
      }
      const owner = readProcStat(rec.owner_pid);
      if (owner && owner.starttime === rec.owner_starttime && owner.state !== "Z") {
        owned_by_live++;
        continue;
      }
      if (this.stillOurs(rec)) {
        signalProcessGroup(rec.pgid, "SIGKILL");
        killed.push(rec.pgid);
      } else stale++;
      rmSync(join(this.dir, name), { force: true });
    }
    return { killed, stale, owned_by_live };
  }

  /**
   * The group is still the one we started when its leader is alive with the recorded start time,
   * or — leader gone — some process is still in the group (a group id is not reused while the
   * group has members, and only the leader's pid could start a new group with that id).
   */
  private stillOurs(rec: WorkerRecord): boolean {
    const leader = readProcStat(rec.pgid);
    if (leader && leader.state !== "Z") return leader.starttime === rec.starttime && leader.pgrp === rec.pgid;
    return processesInGroups(new Set([rec.pgid])).length > 0;
  }
}
