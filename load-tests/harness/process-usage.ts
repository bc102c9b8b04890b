import fs from 'node:fs';
import pidusage from 'pidusage';
import type { StackConfig } from '../../lib/config';
import { layoutFor } from '../../stack/layout';
import { runningPid } from '../../stack/processes';
import { startGroups, type StackStatus } from '../../stack/stack';

/**
 * CPU and memory of every process of the stack, found through its pid file (stack:status), plus
 * the processes of its process group (each instance leads its own: a wrapper's JVM, tsx's esbuild
 * service), and the load generator itself. CPU is the change of cumulative CPU time between two
 * readings over the wall time between them: 100 = one core busy.
 */

export interface WatchedProcess { name: string; component: string; pid: number }
export interface ProcessReading { cpuPercent: number | null; rssBytes: number | null }

export const LOAD_GENERATOR = 'load-generator';

export function stackProcesses(status: StackStatus): WatchedProcess[] {
  return Object.entries(status.components).flatMap(([component, c]) =>
    c.instances.flatMap((i) => (i.pid === null ? [] : [{ name: i.name, component, pid: i.pid }])),
  );
}

/** The current pid of every instance of the stack, by instance name, from its pid file: an instance restarted during a run is followed to its new process. */
export function stackPids(config: StackConfig): () => Map<string, number | undefined> {
  const specs = startGroups(layoutFor(config)).flat();
  return () => new Map(specs.map((spec) => [spec.name, runningPid(spec)]));
}

/** Pids whose process group is led by one of `leaders`, by leader. */
function groupMembers(leaders: number[]): Map<number, number[]> {
  const members = new Map(leaders.map((l) => [l, [l]]));
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      const group = members.get(pgrp);
      if (group && pid !== pgrp) group.push(pid);
    } catch {
      /* the process ended while we looked */
    }
  }
  return members;
}

/** CPU of the whole machine (every process, ours or not), from /proc/stat: 100 = one core busy. */
export class MachineCpu {
  private last: { busy: number; total: number } | undefined;
  private readonly cores: number;

  constructor(cores: number) {
    this.cores = cores;
  }

  read(): number | null {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const before = this.last;
    this.last = { busy: total - idle, total };
    if (!before || total <= before.total) return null;
    return ((total - idle - before.busy) / (total - before.total)) * 100 * this.cores;
  }
}

export class ProcessUsage {
  private members = new Map<number, number[]>();
  private membersAt = 0;
  private last = new Map<string, { pid: number; cpuMs: number; at: number }>();

  /** `currentPids` names the pid of each process now (by name); checked with the process groups every `refreshMs`. */
  constructor(
    private readonly processes: WatchedProcess[],
    private readonly currentPids?: () => Map<string, number | undefined>,
    private readonly refreshMs = 5000,
  ) {}

  get watched(): WatchedProcess[] {
    return this.processes;
  }

  /** One reading per process; the first call gives CPU null (there is no earlier reading to compare with). */
  async read(): Promise<Record<string, ProcessReading>> {
    const now = Date.now();
    if (now - this.membersAt > this.refreshMs) {
      const pids = this.currentPids?.();
      for (const p of this.processes) if (pids?.has(p.name)) p.pid = pids.get(p.name) ?? 0;
      this.members = groupMembers(this.processes.filter((p) => p.pid > 0 && p.pid !== process.pid).map((p) => p.pid));
      this.members.set(process.pid, [process.pid]);
      this.membersAt = now;
    }
    const out: Record<string, ProcessReading> = {};
    await Promise.all(
      this.processes.map(async (p) => {
        const stats = p.pid > 0 ? await Promise.allSettled((this.members.get(p.pid) ?? [p.pid]).map((pid) => pidusage(pid))) : [];
        const ok = stats.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        // Not running (or a zombie being reaped): no reading rather than zeros.
        const leaderAlive = stats[0]?.status === 'fulfilled' && stats[0].value.memory > 0;
        if (!leaderAlive) {
          out[p.name] = { cpuPercent: null, rssBytes: null };
          this.last.delete(p.name);
          return;
        }
        const cpuMs = ok.reduce((a, s) => a + s.ctime, 0);
        const rssBytes = ok.reduce((a, s) => a + s.memory, 0);
        const before = this.last.get(p.name);
        this.last.set(p.name, { pid: p.pid, cpuMs, at: now });
        // A group member that ended takes its CPU time with it: never report a negative share. A new pid starts afresh.
        const cpuPercent = before && before.pid === p.pid && now > before.at ? Math.max(0, ((cpuMs - before.cpuMs) / (now - before.at)) * 100) : null;
        out[p.name] = { cpuPercent, rssBytes };
      }),
    );
    return out;
  }

  /** Closes the files pidusage keeps open per pid. */
  close(): void {
    pidusage.clear();
  }

  /** The stack's processes, followed through their pid files, and this process as the load generator. */
  static forStack(status: StackStatus, config: StackConfig): ProcessUsage {
    return new ProcessUsage([...stackProcesses(status), { name: LOAD_GENERATOR, component: LOAD_GENERATOR, pid: process.pid }], stackPids(config));
  }
}
