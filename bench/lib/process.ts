import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../core/config.js';

const cli = fileURLToPath(new URL('../../dist/bin/baton.js', import.meta.url));
export const clockTicks = 100; // USER_HZ on Linux

export interface ProcessUsage {
  cpuSeconds: number;
  rssBytes: number;
  peakRssBytes: number;
}

/**
 * /proc/<pid>/stat's fields after the command name (which may hold spaces), from the state on:
 * [11], [12] are the process's user and system ticks, [13], [14] those of its reaped children.
 */
export function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU time and memory of a live process, from /proc (Linux). */
export function usageOf(pid: number): ProcessUsage | null {
  try {
    const fields = statFields(pid);
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / clockTicks;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return null;
  }
}

export interface BatonProcess {
  name: string;
  child: ChildProcess;
  /** Usage sampled now (and remembered, so it is known after the process ended). */
  sample(): ProcessUsage;
  stop(): Promise<ProcessUsage>;
}

/** Starts a Baton command of the built CLI against the bench's isolated topics and database. */
export function startBaton(
  name: string,
  args: string[],
  config: Config,
  extraEnv: Record<string, string> = {},
  /** Options of node itself, for those NODE_OPTIONS does not take (e.g. --cpu-prof). */
  nodeArgs: string[] = [],
): BatonProcess {
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], {
    env: {
      ...process.env,
      KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: config.KAFKA_TOPIC_PREFIX,
      CLICKHOUSE_URL: config.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: config.CLICKHOUSE_DATABASE,
      TRANSFORM_GROUP_ID: config.TRANSFORM_GROUP_ID,
      LOG_LEVEL: 'error',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let last: ProcessUsage = { cpuSeconds: 0, rssBytes: 0, peakRssBytes: 0 };
  const sample = () => {
    const u = child.pid ? usageOf(child.pid) : null;
    if (u) last = { ...u, peakRssBytes: Math.max(u.peakRssBytes, last.peakRssBytes) };
    return last;
  };
  return {
    name,
    child,
    sample,
    async stop() {
      const final = sample();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      return final;
    },
  };
}

/** A TCP port nothing listens on right now, for a process the bench starts. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
