import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { writeAlertRuleProvisioning } from './alert-rules.js';
import { deliveryHealth } from './src/delivery-health.js';
import { fieldExecution } from './src/field-execution.js';
import { handover } from './src/handover.js';
import { pipelineHealth } from './src/pipeline-health.js';
import { regionalWeeklyReview } from './src/regional-weekly-review.js';
import { slaRisk } from './src/sla-risk.js';

// Generates dashboards/generated/*.json from dashboards/src (`npm run dashboards`). The generated
// files are committed and provisioned into Grafana; a unit test fails when they are stale. The
// same command rewrites the alert-rule provisioning (dashboards/alert-rules.ts).

export const generatedDir = fileURLToPath(new URL('./generated/', import.meta.url));

/** File name (without .json) → dashboard. */
export const dashboards: Readonly<Record<string, () => Dashboard>> = {
  'delivery-health': deliveryHealth,
  'regional-weekly-review': regionalWeeklyReview,
  handover: handover,
  'sla-risk': slaRisk,
  'field-execution': fieldExecution,
  'pipeline-health': pipelineHealth,
};

const isRow = (p: Panel | RowPanel): p is RowPanel => p.type === 'row';

/** Stable panel ids in layout order (Grafana needs them unique; the SDK leaves them unset). */
function numberPanels(d: Dashboard): Dashboard {
  let id = 0;
  for (const p of d.panels ?? []) {
    p.id = ++id;
    if (isRow(p)) for (const inner of p.panels) inner.id = ++id;
  }
  return d;
}

/** File name → the exact JSON text written for it. */
export function renderDashboards(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, build] of Object.entries(dashboards)) {
    out[`${name}.json`] = `${JSON.stringify(numberPanels(build()), null, 2)}\n`;
  }
  return out;
}

export function writeDashboards(dir = generatedDir): string[] {
  mkdirSync(dir, { recursive: true });
  const files = renderDashboards();
  // A dashboard removed from the code must not linger in Grafana.
  for (const old of readdirSync(dir)) {
    if (old.endsWith('.json') && !(old in files)) rmSync(join(dir, old));
  }
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return Object.keys(files);
}

async function main(): Promise<void> {
  const written = writeDashboards();
  process.stdout.write(`dashboards: wrote ${written.length} files to dashboards/generated\n`);
  // One command regenerates everything Grafana provisions: the alert rules too.
  const rules = writeAlertRuleProvisioning();
  process.stdout.write(`dashboards: wrote ${relative(process.cwd(), rules)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`dashboards: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
