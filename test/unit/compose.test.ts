import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { commandNames, commands } from '../../bin/commands.js';
import { configSchema } from '../../core/config.js';

// There is no Docker engine in CI, so docker-compose.yml, infra/Dockerfile and the Grafana
// provisioning files are checked statically here: structure, pins, wiring between them.

const root = new URL('../..', import.meta.url);
const fromRoot = (rel: string): URL => new URL(rel, root);
const readText = (rel: string): string => readFileSync(fromRoot(rel), 'utf8');

// The CLI's entry points, from its command registry.
const BATON_COMMANDS: ReadonlySet<string> = new Set(commandNames);
const BATON_SERVICES = ['migrate', 'ingest', 'transforms', 'api', 'simulate'] as const;
const INFRA_SERVICES = ['kafka', 'clickhouse', 'grafana'] as const;

// ---- schemas for the parts of the files the assertions read ----

const scalar = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .transform((v) => (v === null ? '' : String(v)));
const envSchema = z.record(z.string(), scalar);

const healthcheckSchema = z.object({
  test: z.union([z.string().min(1), z.array(z.string()).min(2)]),
  interval: z.string().optional(),
  timeout: z.string().optional(),
  retries: z.number().int().positive().optional(),
  start_period: z.string().optional(),
});

const conditionSchema = z.enum(['service_started', 'service_healthy', 'service_completed_successfully']);

const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
  command: z.array(z.string()).optional(),
  environment: envSchema.optional(),
  volumes: z.array(z.string()).optional(),
  ports: z.array(z.string()).optional(),
  depends_on: z.record(z.string(), z.object({ condition: conditionSchema })).optional(),
  healthcheck: healthcheckSchema.optional(),
  restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
  profiles: z.array(z.string()).optional(),
});
type Service = z.infer<typeof serviceSchema>;

const composeSchema = z.object({
  name: z.string().optional(),
  'x-baton-env': envSchema,
  services: z.record(z.string(), serviceSchema),
  volumes: z.record(z.string(), z.unknown()),
});

const datasourceFileSchema = z.object({
  apiVersion: z.literal(1),
  datasources: z
    .array(
      z.object({
        name: z.string(),
        uid: z.string(),
        type: z.string(),
        access: z.string().optional(),
        isDefault: z.boolean().optional(),
        jsonData: z.object({
          host: z.string(),
          port: z.number().int(),
          protocol: z.enum(['http', 'native']),
          secure: z.boolean().optional(),
          username: z.string(),
          defaultDatabase: z.string(),
        }),
        secureJsonData: z.object({ password: z.string() }),
      }),
    )
    .min(1),
});

const dashboardProviderFileSchema = z.object({
  apiVersion: z.literal(1),
  providers: z
    .array(
      z.object({
        name: z.string(),
        type: z.literal('file'),
        folder: z.string(),
        options: z.object({ path: z.string() }),
      }),
    )
    .min(1),
});

const stringArray = z.array(z.string());

// ---- helpers ----

/** Compose-style interpolation with an empty environment: `${VAR:-default}`, `${VAR-default}`, `${VAR}`. */
function withDefaults(value: string, env: Readonly<Record<string, string>> = {}): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g,
    (_match, name: string, op: string | undefined, fallback: string | undefined) => {
      const set = env[name];
      if (op === ':-') return set ? set : (fallback ?? '');
      if (op === '-') return set ?? fallback ?? '';
      return set ?? '';
    },
  );
}

/** `[host_ip:]host_port:container_port` → container port. */
function containerPort(mapping: string): string {
  const parts = withDefaults(mapping).split(':');
  return parts[parts.length - 1] ?? '';
}

function splitMount(mount: string): { source: string; target: string; mode: string | undefined } {
  const [source = '', target = '', mode] = mount.split(':');
  return { source, target, mode };
}

/** How a provisioning file refers to a variable of Grafana's environment. */
const grafanaEnvRef = (name: string): string => `$\{${name}}`;

function isPinnedImage(image: string): boolean {
  const match = /^[a-z0-9][a-z0-9._/-]*:([A-Za-z0-9._-]+)(@sha256:[0-9a-f]{64})?$/.exec(image);
  const tag = match?.[1];
  return tag !== undefined && !tag.includes('latest') && /\d/.test(tag);
}

const compose = composeSchema.parse(parse(readText('docker-compose.yml'), { merge: true }));
const bakedEnv = compose['x-baton-env'];

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function env(name: string): Record<string, string> {
  return service(name).environment ?? {};
}

// ---- docker-compose.yml ----

describe('docker-compose.yml', () => {
  it('defines the infrastructure and Baton services', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...INFRA_SERVICES, ...BATON_SERVICES].sort());
  });

  it('pins every pulled image to an explicit version tag', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.build) continue; // built locally from infra/Dockerfile, whose base image is checked below
      expect(svc.image, `${name} has no image`).toBeDefined();
      const image = withDefaults(svc.image ?? '');
      expect(isPinnedImage(image), `${name}: ${image} is not pinned to a version tag`).toBe(true);
    }
  });

  it('uses Kafka 3.9.x (kafkajs needs pre-4.0 protocols), ClickHouse 25.x and Grafana 12.x', () => {
    expect(service('kafka').image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
    expect(service('clickhouse').image).toMatch(/^clickhouse\/clickhouse-server:25\.\d+\.\d+(\.\d+)?$/);
    expect(service('grafana').image).toMatch(/^grafana\/grafana:12\.\d+\.\d+$/);
    expect(env('grafana').GF_PLUGINS_PREINSTALL_SYNC).toMatch(/^grafana-clickhouse-datasource@4\.\d+\.\d+$/);
  });

  it('gives every long-running service a healthcheck; only migrate is one-shot', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (name === 'migrate') {
        expect(svc.restart).toBe('no');
        continue;
      }
      expect(svc.restart, `${name} restart policy`).toBe('unless-stopped');
      expect(svc.healthcheck, `${name} has no healthcheck`).toBeDefined();
    }
  });

  it('builds every Baton service from infra/Dockerfile into one image', () => {
    const images = new Set<string>();
    for (const name of BATON_SERVICES) {
      const svc = service(name);
      expect(svc.build, `${name} build`).toEqual({ context: '.', dockerfile: 'infra/Dockerfile' });
      images.add(svc.image ?? '');
      expect(svc.environment, `${name} environment`).toEqual(bakedEnv);
    }
    expect(images.size).toBe(1);
    expect(existsSync(fromRoot('infra/Dockerfile'))).toBe(true);
  });

  it('runs only commands and options the Baton CLI has', () => {
    for (const name of BATON_SERVICES) {
      const [command = '', ...args] = (service(name).command ?? []).map((arg) => withDefaults(arg));
      expect(BATON_COMMANDS.has(command), `${name}: unknown command "${command}"`).toBe(true);
      const usage = commands[command]?.usage ?? '';
      for (const flag of args.filter((a) => a.startsWith('--'))) {
        expect(usage, `${name}: "baton ${command}" has no option ${flag}`).toContain(
          flag.split('=')[0] ?? flag,
        );
      }
    }
    expect(service('migrate').command).toEqual(['migrate']);
    expect(service('transforms').command).toEqual(['transforms']);
    expect(service('api').command).toEqual(['api']);
    expect(service('ingest').command).toEqual(['ingest']);
    expect(service('simulate').command).toEqual(['simulate', '--follow']);
    expect(service('simulate').profiles).toEqual(['demo']);
  });

  it('starts Baton services only after their dependencies are healthy and migrated', () => {
    const ready = {
      kafka: { condition: 'service_healthy' },
      clickhouse: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    };
    expect(service('migrate').depends_on).toEqual({ clickhouse: ready.clickhouse });
    expect(service('transforms').depends_on).toEqual(ready);
    expect(service('api').depends_on).toEqual(ready);
    expect(service('ingest').depends_on).toEqual({ kafka: ready.kafka });
    expect(service('simulate').depends_on).toEqual({ kafka: ready.kafka, migrate: ready.migrate });
    expect(service('grafana').depends_on).toEqual({ clickhouse: ready.clickhouse });
  });

  it('waits only on services that exist and can report what is waited for', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        const target = service(dep);
        expect(target.profiles, `${name} depends on ${dep}, which sits in a profile`).toBeUndefined();
        if (condition === 'service_healthy') expect(target.healthcheck, `${dep} healthcheck`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(target.restart).toBe('no');
      }
    }
  });

  it('keeps Kafka, ClickHouse and Grafana data in declared named volumes', () => {
    const expected = {
      kafka: 'kafka-data:/var/lib/kafka/data',
      clickhouse: 'clickhouse-data:/var/lib/clickhouse',
      grafana: 'grafana-data:/var/lib/grafana',
    };
    for (const [name, mount] of Object.entries(expected)) {
      expect(service(name).volumes, name).toContain(mount);
    }
    expect(env('kafka').KAFKA_LOG_DIRS).toBe('/var/lib/kafka/data');
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const mount of svc.volumes ?? []) {
        const { source } = splitMount(mount);
        if (source.startsWith('.') || source.startsWith('/')) continue;
        expect(Object.keys(compose.volumes), `${name} mounts undeclared volume ${source}`).toContain(source);
      }
    }
    expect(Object.keys(compose.volumes).sort()).toEqual(['clickhouse-data', 'grafana-data', 'kafka-data']);
  });

  it('bind-mounts only paths that exist in the repository, read-only, with no absolute paths', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const mount of svc.volumes ?? []) {
        const { source, mode } = splitMount(mount);
        expect(source.startsWith('/'), `${name}: absolute host path ${source}`).toBe(false);
        if (!source.startsWith('./')) continue;
        expect(existsSync(fromRoot(source)), `${name}: ${source} does not exist`).toBe(true);
        expect(mode, `${name}: ${source} should be :ro`).toBe('ro');
      }
    }
    expect(service('grafana').volumes).toEqual(
      expect.arrayContaining([
        './dashboards/provisioning:/etc/grafana/provisioning:ro',
        './dashboards/generated:/var/lib/grafana/dashboards:ro',
      ]),
    );
  });

  it('configures Kafka as one KRaft node reachable from containers and from the host', () => {
    const kafka = env('kafka');
    expect(kafka.KAFKA_PROCESS_ROLES?.split(',').sort()).toEqual(['broker', 'controller']);
    expect(kafka.CLUSTER_ID).toBeTruthy();
    expect(kafka.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(kafka.KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS).toBe('0');
    expect(kafka.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1');
    expect(kafka.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe('1');
    expect(kafka.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe('1');

    const advertised = withDefaults(kafka.KAFKA_ADVERTISED_LISTENERS ?? '').split(',');
    expect(advertised).toContain('INTERNAL://kafka:9092');
    const external = advertised.find((l) => l.startsWith('EXTERNAL://localhost:'));
    expect(external).toBeDefined();
    const hostPort = external?.split(':').at(-1);
    const published = (service('kafka').ports ?? []).map((p) => withDefaults(p).split(':'));
    // the advertised host port is the one published, mapped to the EXTERNAL listener's port
    expect(published).toContainEqual(['127.0.0.1', hostPort, '29092']);
    expect(kafka.KAFKA_LISTENERS?.split(',')).toEqual(
      expect.arrayContaining(['INTERNAL://:9092', 'EXTERNAL://:29092']),
    );
    expect(withDefaults(bakedEnv.KAFKA_BROKERS ?? '')).toBe('kafka:9092');
  });

  it('creates the ClickHouse database and user that Baton and Grafana connect with', () => {
    const ch = env('clickhouse');
    expect(withDefaults(ch.CLICKHOUSE_DB ?? '')).toBe('baton');
    expect(ch.CLICKHOUSE_DB).toBe(bakedEnv.CLICKHOUSE_DATABASE);
    expect(ch.CLICKHOUSE_USER).toBe(bakedEnv.CLICKHOUSE_USER);
    expect(ch.CLICKHOUSE_PASSWORD).toBe(bakedEnv.CLICKHOUSE_PASSWORD);
    expect(ch.CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT).toBe('1');
    // the image leaves a password-less user reachable only from inside its container
    expect(withDefaults(ch.CLICKHOUSE_PASSWORD ?? '')).not.toBe('');
    expect(withDefaults(bakedEnv.CLICKHOUSE_URL ?? '')).toBe('http://clickhouse:8123');
    for (const key of ['CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_DATABASE']) {
      expect(env('grafana')[key], `grafana ${key}`).toBe(bakedEnv[key]);
    }
  });

  it('publishes the API, Grafana, ClickHouse HTTP and Kafka host listener', () => {
    expect((service('api').ports ?? []).map(containerPort)).toEqual(['8080']);
    expect((service('grafana').ports ?? []).map(containerPort)).toEqual(['3000']);
    expect((service('clickhouse').ports ?? []).map(containerPort)).toEqual(['8123']);
    expect((service('kafka').ports ?? []).map(containerPort)).toEqual(['29092']);
    expect(service('migrate').ports).toBeUndefined();
  });

  it('passes Baton processes a configuration core/config.ts accepts, listening on all interfaces', () => {
    const resolved = Object.fromEntries(Object.entries(bakedEnv).map(([k, v]) => [k, withDefaults(v)]));
    expect(resolved.API_HOST).toBe('0.0.0.0');
    expect(resolved.API_PORT).toBe('8080');
    const known = new Set(Object.keys(configSchema.shape));
    for (const key of Object.keys(bakedEnv)) {
      expect(known.has(key), `${key} is not a Baton setting`).toBe(true);
    }
    const parsed = configSchema.safeParse(resolved);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data?.NODE_ENV).toBe('production');
  });

  it('keeps Grafana closed to anonymous users unless asked', () => {
    const grafana = env('grafana');
    expect(withDefaults(grafana.GF_AUTH_ANONYMOUS_ENABLED ?? '')).toBe('false');
    expect(grafana.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:-.+\}$/);
  });
});

// ---- Grafana provisioning ----

describe('Grafana provisioning', () => {
  it('provisions the ClickHouse datasource with a stable uid, pointing at the clickhouse service', () => {
    const file = datasourceFileSchema.parse(
      parse(readText('dashboards/provisioning/datasources/clickhouse.yaml')),
    );
    const ds = file.datasources.find((d) => d.uid === 'baton-clickhouse');
    expect(ds).toBeDefined();
    expect(ds?.type).toBe('grafana-clickhouse-datasource');
    expect(ds?.jsonData.host).toBe('clickhouse');
    expect(compose.services).toHaveProperty(ds?.jsonData.host ?? '');
    expect(ds?.jsonData.protocol).toBe('http');
    expect(String(ds?.jsonData.port)).toBe(containerPort(service('clickhouse').ports?.[0] ?? ''));
    expect(ds?.jsonData.username).toBe(grafanaEnvRef('CLICKHOUSE_USER'));
    expect(ds?.jsonData.defaultDatabase).toBe(grafanaEnvRef('CLICKHOUSE_DATABASE'));
    expect(ds?.secureJsonData.password).toBe(grafanaEnvRef('CLICKHOUSE_PASSWORD'));
  });

  it('only references variables the grafana container has', () => {
    const text = readText('dashboards/provisioning/datasources/clickhouse.yaml')
      .split(/\r?\n/)
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    const referenced = [...text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)].map((m) => m[1] ?? '');
    expect(referenced.length).toBeGreaterThan(0);
    for (const name of referenced) expect(env('grafana'), name).toHaveProperty(name);
  });

  it('loads generated dashboards from the mounted folder into "Baton"', () => {
    const file = dashboardProviderFileSchema.parse(
      parse(readText('dashboards/provisioning/dashboards/baton.yaml')),
    );
    const provider = file.providers[0];
    expect(provider?.folder).toBe('Baton');
    const mountTarget = (service('grafana').volumes ?? [])
      .map(splitMount)
      .find((m) => m.source === './dashboards/generated')?.target;
    expect(provider?.options.path).toBe(mountTarget);
  });

  it('has the folders alert rules and generated dashboards will land in', () => {
    expect(existsSync(fromRoot('dashboards/provisioning/alerting'))).toBe(true);
    expect(existsSync(fromRoot('dashboards/generated'))).toBe(true);
  });
});

// ---- infra/Dockerfile ----

interface Instruction {
  keyword: string;
  args: string;
}

function dockerfileInstructions(text: string): Instruction[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

describe('infra/Dockerfile', () => {
  const instructions = dockerfileInstructions(readText('infra/Dockerfile'));
  const froms = instructions.filter((i) => i.keyword === 'FROM');
  const lastStageAt = instructions.lastIndexOf(froms.at(-1) ?? { keyword: '', args: '' });
  const runtime = instructions.slice(lastStageAt);
  const last = (keyword: string): string | undefined =>
    runtime.filter((i) => i.keyword === keyword).at(-1)?.args;

  it('is multi-stage on a pinned Node 20.19 bookworm-slim base', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const stages = new Set<string>();
    for (const { args } of froms) {
      const [image = '', as, stage] = args.split(/\s+/);
      if (!stages.has(image)) {
        expect(isPinnedImage(image), `${image} is not pinned`).toBe(true);
        expect(image).toMatch(/^node:20\.19\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
      }
      if (as?.toUpperCase() === 'AS' && stage) stages.add(stage);
    }
  });

  it('installs from the lockfile, compiles, and drops dev dependencies', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes('npm ci'))).toBe(true);
    expect(runs.some((r) => r.includes('npm run build'))).toBe(true);
    expect(runs.some((r) => /npm prune --omit=dev|npm ci --omit=dev/.test(r))).toBe(true);
  });

  it('runs the Baton CLI as a non-root user, serving the API by default', () => {
    const pkg = z
      .object({ bin: z.object({ baton: z.string() }) })
      .parse(JSON.parse(readText('package.json')));
    expect(stringArray.parse(JSON.parse(last('ENTRYPOINT') ?? 'null'))).toEqual(['node', pkg.bin.baton]);
    expect(pkg.bin.baton).toBe('dist/bin/baton.js');
    const cmd = stringArray.parse(JSON.parse(last('CMD') ?? 'null'));
    expect(cmd).toEqual(['api']);
    expect(BATON_COMMANDS.has(cmd[0] ?? '')).toBe(true);
    const user = last('USER');
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    expect(last('EXPOSE')?.split(/\s+/)).toContain('8080');
    // core/paths.ts locates the project root by package.json + sql/
    const copies = runtime.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies.some((c) => /\/app\/sql\s/.test(c))).toBe(true);
    expect(copies.some((c) => c.includes('/app/package.json'))).toBe(true);
  });

  it('keeps local build output and dependencies out of the build context', () => {
    const ignored = readText('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.cache', '.git', 'coverage']) {
      expect(ignored, entry).toContain(entry);
    }
  });
});
