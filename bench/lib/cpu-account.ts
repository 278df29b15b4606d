import { readFileSync } from 'node:fs';
import { clockTicks, statFields, usageOf } from './process.js';

/** The machine's CPU time so far, in seconds summed over its cores (/proc/stat). */
interface MachineTimes {
  busy: number;
  idle: number;
  iowait: number;
  steal: number;
}

function machineTimes(): MachineTimes | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map((v) => Number(v) / clockTicks);
    return {
      busy: user! + nice! + system! + irq! + softirq!,
      idle: idle!,
      iowait: iowait!,
      steal: steal ?? 0,
    };
  } catch {
    return null;
  }
}

/** CPU of the bench's own process and of its children that have ended (their times, once reaped). */
function benchTimes(): { self: number; children: number } {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const fields = statFields('self');
    children = (Number(fields[13]) + Number(fields[14])) / clockTicks;
  } catch {
    // not Linux: children unknown
  }
  return { self: (own.user + own.system) / 1e6, children };
}

export interface CpuAccount {
  seconds: number;
  cores: number;
  /** Shares of the cores' time over the span (busy + idle + iowait + steal = 1). */
  machine: { busy: number; iowait: number; steal: number; idle: number } | null;
  /** CPU seconds per process over the span. */
  processes: { name: string; cpuSeconds: number }[];
}

/**
 * Starts accounting for the machine's CPU: `stop()` gives, over the span, how busy the cores were
 * (and how much time the hypervisor gave elsewhere: steal) and the CPU seconds of each named
 * process, of the bench itself, and of the bench's children that ended within the span (Baton's
 * processes, which the bench starts and stops per stage).
 */
export function startCpuAccount(named: { name: string; pid: number }[], cores: number): () => CpuAccount {
  const started = performance.now();
  const machine0 = machineTimes();
  const bench0 = benchTimes();
  const named0 = named.map((p) => ({ ...p, cpu: usageOf(p.pid)?.cpuSeconds ?? null }));
  return () => {
    const machine1 = machineTimes();
    const bench1 = benchTimes();
    const processes = named0
      .map((p) => {
        const now = usageOf(p.pid)?.cpuSeconds;
        return p.cpu === null || now === undefined ? null : { name: p.name, cpuSeconds: now - p.cpu };
      })
      .filter((p): p is { name: string; cpuSeconds: number } => p !== null);
    processes.push(
      {
        name: 'Baton processes (the bench’s children that ended)',
        cpuSeconds: bench1.children - bench0.children,
      },
      { name: 'the bench itself (load generators, seeding)', cpuSeconds: bench1.self - bench0.self },
    );
    let shares: CpuAccount['machine'] = null;
    if (machine0 && machine1) {
      const d = {
        busy: machine1.busy - machine0.busy,
        idle: machine1.idle - machine0.idle,
        iowait: machine1.iowait - machine0.iowait,
        steal: machine1.steal - machine0.steal,
      };
      const total = d.busy + d.idle + d.iowait + d.steal;
      if (total > 0)
        shares = {
          busy: d.busy / total,
          iowait: d.iowait / total,
          steal: d.steal / total,
          idle: d.idle / total,
        };
    }
    return { seconds: (performance.now() - started) / 1000, cores, machine: shares, processes };
  };
}

/** The stack's engine and broker, by the pid files its scripts write (absent ones left out). */
export function stackProcesses(runDir: string): { name: string; pid: number }[] {
  const out: { name: string; pid: number }[] = [];
  for (const [name, file] of [
    ['ClickHouse engine', 'clickhouse.pid'],
    ['Kafka broker', 'kafka.pid'],
  ] as const) {
    try {
      const pid = Number(readFileSync(`${runDir}/${file}`, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && usageOf(pid)) out.push({ name, pid });
    } catch {
      // not started by the stack's scripts (e.g. docker compose): not accounted
    }
  }
  return out;
}
