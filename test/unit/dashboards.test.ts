import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { renderDashboards } from '../../dashboards/build.js';

// The dashboards are code (dashboards/src), generated into dashboards/generated and provisioned by
// Grafana from there. No Grafana runs here, so the wiring is checked statically: the committed
// JSON is what the code generates, every query points at the provisioned datasource, the
// provider reads the folder docker-compose mounts, and the plugin version is pinned.

const root = new URL('../../', import.meta.url);
const readText = (rel: string): string => readFileSync(new URL(rel, root), 'utf8');

const datasourceRef = z.object({ type: z.string(), uid: z.string() });
interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: z.infer<typeof datasourceRef>;
  targets?: { datasource?: z.infer<typeof datasourceRef>; rawSql?: string }[];
  panels?: Panel[];
  fieldConfig?: { overrides?: { properties?: { id: string; value?: unknown }[] }[] };
  links?: { url?: string }[];
}
const panelSchema: z.ZodType<Panel> = z.lazy(() =>
  z.object({
    id: z.number().int().optional(),
    type: z.string(),
    title: z.string().optional(),
    datasource: datasourceRef.optional(),
    targets: z
      .array(z.object({ datasource: datasourceRef.optional(), rawSql: z.string().optional() }))
      .optional(),
    panels: z.array(panelSchema).optional(),
    fieldConfig: z
      .object({
        overrides: z
          .array(
            z.object({ properties: z.array(z.object({ id: z.string(), value: z.unknown() })).optional() }),
          )
          .optional(),
      })
      .optional(),
    links: z.array(z.object({ url: z.string().optional() })).optional(),
  }),
);
const dashboardSchema = z.object({
  uid: z.string().min(1).max(40),
  title: z.string(),
  tags: z.array(z.string()),
  templating: z.object({
    list: z.array(z.object({ type: z.string(), name: z.string(), datasource: datasourceRef.optional() })),
  }),
  panels: z.array(panelSchema),
});

const generatedDir = new URL('dashboards/generated/', root);
const committed = Object.fromEntries(
  readdirSync(generatedDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, readFileSync(new URL(f, generatedDir), 'utf8')]),
);
const dashboards = Object.values(committed).map((text) => dashboardSchema.parse(JSON.parse(text)));
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

const datasourceFile = z
  .object({
    datasources: z.array(z.object({ uid: z.string(), type: z.string(), name: z.string() })).min(1),
  })
  .parse(parse(readText('dashboards/provisioning/datasources/clickhouse.yaml')));
const providerFile = z
  .object({
    providers: z.array(z.object({ type: z.literal('file'), options: z.object({ path: z.string() }) })).min(1),
  })
  .parse(parse(readText('dashboards/provisioning/dashboards/baton.yaml')));
const grafanaService = z
  .object({
    services: z.object({
      grafana: z.object({
        environment: z.record(z.string(), z.string()),
        volumes: z.array(z.string()),
      }),
    }),
  })
  .parse(parse(readText('docker-compose.yml'), { merge: true })).services.grafana;

describe('generated dashboards', () => {
  it('are exactly what `npm run dashboards` generates from dashboards/src', () => {
    // Stale JSON means someone edited the code without regenerating, or edited the JSON by hand.
    expect(Object.keys(committed).sort()).toEqual(Object.keys(renderDashboards()).sort());
    for (const [file, text] of Object.entries(renderDashboards())) expect(committed[file], file).toBe(text);
  });

  it('have unique uids, unique panel ids and the tag the dashboard links list them by', () => {
    const uids = dashboards.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const d of dashboards) {
      expect(d.tags, d.uid).toContain('baton');
      const ids = allPanels(d.panels).map((p) => p.id);
      expect(
        ids.every((id) => typeof id === 'number'),
        d.uid,
      ).toBe(true);
      expect(new Set(ids).size, d.uid).toBe(ids.length);
    }
  });

  it('link only to dashboards that exist', () => {
    const uids = new Set(dashboards.map((d) => d.uid));
    for (const d of dashboards) {
      const text = JSON.stringify(d);
      for (const m of text.matchAll(/\/d\/([A-Za-z0-9_-]+)/g))
        expect(uids, `${d.uid} links to ${m[1]}`).toContain(m[1]);
    }
  });
});

describe('Grafana provisioning', () => {
  const provisioned = datasourceFile.datasources.find((ds) => ds.type === 'grafana-clickhouse-datasource');

  it('provisions the ClickHouse datasource every panel, target and variable uses', () => {
    expect(provisioned?.uid).toBe('baton-clickhouse');
    const expected = { type: provisioned?.type, uid: provisioned?.uid };
    let queries = 0;
    for (const d of dashboards) {
      for (const p of allPanels(d.panels)) {
        for (const t of p.targets ?? []) {
          expect(p.datasource, `${d.uid} / ${p.title}`).toEqual(expected);
          expect(t.datasource, `${d.uid} / ${p.title}`).toEqual(expected);
          queries++;
        }
      }
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        expect(v.datasource, `${d.uid} variable ${v.name}`).toEqual(expected);
      }
    }
    expect(queries).toBeGreaterThan(30);
  });

  it('loads the dashboards from the folder docker-compose mounts the generated JSON at', () => {
    const mounts = grafanaService.volumes.map((v) => {
      const [source = '', target = '', mode] = v.split(':');
      return { source, target, mode };
    });
    const generated = mounts.find((m) => m.source === './dashboards/generated');
    expect(generated?.mode).toBe('ro');
    expect(providerFile.providers.map((p) => p.options.path)).toEqual([generated?.target]);
    const provisioning = mounts.find((m) => m.source === './dashboards/provisioning');
    expect(provisioning?.target).toBe('/etc/grafana/provisioning');
    for (const dir of ['datasources', 'dashboards', 'alerting']) {
      expect(existsSync(new URL(`dashboards/provisioning/${dir}`, root)), dir).toBe(true);
    }
  });

  it('pins the ClickHouse plugin version Grafana installs', () => {
    const env = grafanaService.environment;
    const plugins =
      env.GF_PLUGINS_PREINSTALL_SYNC ?? env.GF_PLUGINS_PREINSTALL ?? env.GF_INSTALL_PLUGINS ?? '';
    expect(plugins.split(',')).toContainEqual(
      expect.stringMatching(/^grafana-clickhouse-datasource@\d+\.\d+\.\d+$/),
    );
  });
});
