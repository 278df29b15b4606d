import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../core/paths.js';

// A single-node Kafka 3.9 (KRaft) of a test's own, on free ports with its own data directory, for
// tests that stop, kill and restart a broker: the shared broker of the local stack is never touched.
// It is launched like infra/stack.sh launches the shared one (the same jars, template and logging).

const run = promisify(execFile);
const kafkaLibs = join(projectRoot, '.cache/kafka/libs');
const template = join(projectRoot, 'infra/kafka/server.properties.template');
const log4j = join(projectRoot, 'infra/kafka/log4j.properties');

export interface PrivateKafka {
  /** `127.0.0.1:<port>`, for KAFKA_BROKERS. */
  broker: string;
  /** Starts the broker on the same data and ports; resolves when it is ready. */
  start(): Promise<void>;
  /** SIGTERM (a clean shutdown, waited for) or SIGKILL; resolves when the process is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  running(): boolean;
  /** Stops the broker and deletes its data. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const javaArgs = (logDir: string) => [
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseG1GC',
  // A broker restarted several times per test: a quicker start matters more than peak speed.
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
  `-Dlog4j.configuration=file:${log4j}`,
  `-Dkafka.logs.dir=${logDir}`,
  '-cp',
  `${kafkaLibs}/*`,
];

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

/** Formats a fresh data directory and starts the broker on it. */
export async function startPrivateKafka(label: string, startTimeoutMs = 120_000): Promise<PrivateKafka> {
  const home = mkdtempSync(join(tmpdir(), `baton-kafka-${label}-`));
  const dataDir = join(home, 'data');
  const logDir = join(home, 'logs');
  mkdirSync(dataDir);
  mkdirSync(logDir);
  const port = await freePort();
  const controllerPort = await freePort();
  const props = join(home, 'server.properties');
  writeFileSync(
    props,
    readFileSync(template, 'utf8')
      .replaceAll('@DATA_DIR@', dataDir)
      .replaceAll('@KAFKA_PORT@', String(port))
      .replaceAll('@CONTROLLER_PORT@', String(controllerPort)),
  );
  const { stdout } = await run('java', [...javaArgs(logDir), 'kafka.tools.StorageTool', 'random-uuid']);
  const clusterId = stdout.trim().split('\n').pop()?.trim() ?? '';
  await run('java', [...javaArgs(logDir), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props]);

  let child: ChildProcess | null = null;
  const kafkaLog = join(logDir, 'kafka.log');
  const logBytes = () => {
    try {
      return readFileSync(kafkaLog);
    } catch {
      return Buffer.alloc(0);
    }
  };

  const handle: PrivateKafka = {
    broker: `127.0.0.1:${port}`,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    async start() {
      if (handle.running()) return;
      const mark = logBytes().length;
      const proc = spawn('java', [...javaArgs(logDir), 'kafka.Kafka', props], {
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      child = proc;
      const deadline = Date.now() + startTimeoutMs;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(`the private Kafka broker exited during start-up; logs in ${logDir}`);
        }
        const started = logBytes().subarray(mark).toString('utf8').includes('Kafka Server started');
        if (started && (await portOpen(port))) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(
        `the private Kafka broker was not ready within ${startTimeoutMs} ms; logs in ${logDir}`,
      );
    },
    async stop(signal = 'SIGTERM') {
      const proc = child;
      if (!proc || !handle.running()) return;
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill(signal);
      // A clean shutdown that hangs is ended the hard way, as infra/stack.sh does.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    },
    async destroy() {
      await handle.stop('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    },
  };
  try {
    await handle.start();
  } catch (err) {
    await handle.destroy();
    throw err;
  }
  return handle;
}
