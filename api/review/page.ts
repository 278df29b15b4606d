import { DateTime } from 'luxon';
import type { Chart } from './charts.js';
import type { Headline, Review } from './data.js';

// The review as one printable HTML page: inline <style> and inline SVG only (no script, no font,
// no external resource), so it prints, archives and passes a strict Content-Security-Policy.
// Every piece of text from the data goes through `esc`; the SVG comes from Vega, which escapes
// the text it draws.

export function esc(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const DASH = '–';

/** How a headline figure is shown: counts whole, rates in %, latencies in min or h. */
export function formatValue(unit: Headline['unit'], v: number | null): string {
  if (v === null) return DASH;
  switch (unit) {
    case 'count':
      return String(Math.round(v));
    case 'fte':
      return v.toFixed(1);
    case 'tickets_per_fte':
      return v.toFixed(2);
    case 'percent':
      return `${v.toFixed(1)} %`;
    case 'ratio':
      return `${(v * 100).toFixed(1)} %`;
    case 'seconds':
      return Math.abs(v) < 3_600 ? `${(v / 60).toFixed(0)} min` : `${(v / 3_600).toFixed(1)} h`;
  }
}

function formatDelta(h: Headline): string {
  if (h.delta === null) return DASH;
  const sign = h.delta > 0 ? '+' : h.delta < 0 ? '−' : '±';
  const abs = Math.abs(h.delta);
  if (h.unit === 'ratio') return `${sign}${(abs * 100).toFixed(1)} pp`;
  if (h.unit === 'percent') return `${sign}${abs.toFixed(1)} pp`;
  return `${sign}${formatValue(h.unit, abs)}`;
}

function deltaClass(h: Headline): string {
  if (h.delta === null || h.delta === 0 || h.better === null) return 'flat';
  return h.delta < 0 === (h.better === 'lower') ? 'better' : 'worse';
}

function formatTarget(h: Headline): string {
  const t = h.target;
  if (t === null) return DASH;
  const parts: string[] = [];
  if (t.min !== undefined) parts.push(`≥ ${formatValue(h.unit, t.min)}`);
  if (t.max !== undefined) parts.push(`≤ ${formatValue(h.unit, t.max)}`);
  return parts.join(', ');
}

const hours = (s: number | null) => (s === null ? DASH : `${(s / 3_600).toFixed(1)} h`);
const days = (s: number) => `${(s / 86_400).toFixed(1)} d`;

function localTime(isoText: string, zone: string, format: string): string {
  return DateTime.fromISO(isoText, { zone }).toFormat(format, { locale: 'en' });
}

function table(caption: string, head: string[], rows: string[][], empty: string): string {
  if (rows.length === 0)
    return `<section class="offenders"><h3>${esc(caption)}</h3><p class="empty">${esc(empty)}</p></section>`;
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<section class="offenders"><h3>${esc(caption)}</h3><table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></section>`;
}

const STYLE = `
  :root { --ink: #1d2630; --muted: #5c6b7a; --rule: #d5dbe1; --good: #1e7b34; --bad: #b42318; }
  * { box-sizing: border-box; }
  body { font-family: Helvetica, Arial, sans-serif; color: var(--ink); margin: 24px auto; max-width: 1120px;
         padding: 0 16px; font-size: 13px; line-height: 1.4; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
  h3 { font-size: 13px; margin: 16px 0 6px; }
  .sub { color: var(--muted); margin: 0 0 4px; }
  .warning { color: var(--bad); font-weight: bold; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; }
  th { font-weight: 600; color: var(--muted); font-size: 12px; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  td.better { color: var(--good); } td.worse { color: var(--bad); }
  td.status-off { color: var(--bad); font-weight: 600; } td.status-on { color: var(--good); }
  .basis { color: var(--muted); font-size: 11px; }
  .charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
  figure.chart { margin: 0; border: 1px solid var(--rule); padding: 8px; break-inside: avoid; }
  figure.chart figcaption { font-weight: 600; margin-bottom: 4px; }
  figure.chart svg { max-width: 100%; height: auto; }
  .offenders-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0 24px; }
  section.offenders { break-inside: avoid; }
  p.empty { color: var(--muted); }
  footer { margin-top: 32px; color: var(--muted); font-size: 11px; }
  @page { size: A4; margin: 12mm; }
  @media print {
    body { margin: 0; max-width: none; font-size: 10.5px; }
    .charts, .offenders-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); }
    h2 { break-after: avoid; }
    tr, figure.chart { break-inside: avoid; }
    * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  }
`;

export function renderPage(review: Review, charts: Chart[]): string {
  const zone = review.timeZone;
  const where = review.region ?? 'All regions';
  const span = `${localTime(review.week.start, zone, 'ccc d LLL')} – ${DateTime.fromISO(review.week.end, {
    zone,
  })
    .minus({ days: 1 })
    .toFormat('ccc d LLL yyyy', { locale: 'en' })}`;
  const title = `Weekly review — ${where} — ${review.week.label}`;

  const headRows = review.headline
    .map(
      (h) => `<tr data-key="${esc(h.key)}">
  <td>${esc(h.label)}${h.note ? `<div class="basis">${esc(h.note)}</div>` : ''}</td>
  <td class="num current" data-value="${esc(h.current ?? '')}">${esc(formatValue(h.unit, h.current))}${
    h.basis.current ? `<div class="basis">${esc(h.basis.current)}</div>` : ''
  }</td>
  <td class="num previous" data-value="${esc(h.previous ?? '')}">${esc(formatValue(h.unit, h.previous))}${
    h.basis.previous ? `<div class="basis">${esc(h.basis.previous)}</div>` : ''
  }</td>
  <td class="num delta ${deltaClass(h)}" data-value="${esc(h.delta ?? '')}">${esc(formatDelta(h))}</td>
  <td class="num target">${esc(formatTarget(h))}</td>
  <td class="status ${h.onTarget === false ? 'status-off' : h.onTarget ? 'status-on' : ''}">${
    h.onTarget === null ? DASH : h.onTarget ? 'on target' : 'off target'
  }</td>
</tr>`,
    )
    .join('\n');

  const o = review.offenders;
  const offenders = [
    table(
      'Teams with the largest backlog growth',
      ['team', 'start', 'end', 'growth', 'inflow', 'outflow'],
      o.teamsByBacklogGrowth.map((t) => [
        t.team || '(unassigned)',
        String(t.backlogStart),
        String(t.backlogEnd),
        `${t.growth > 0 ? '+' : ''}${t.growth}`,
        String(t.inflow),
        String(t.outflow),
      ]),
      'No backlog in this week.',
    ),
    table(
      'Teams with the slowest pickups (business time)',
      ['team', 'received', 'picked up', 'p50', 'p90', 'pending at end'],
      o.teamsBySlowestPickup.map((t) => [
        t.team,
        String(t.received),
        String(t.pickedUp),
        hours(t.businessP50Seconds),
        hours(t.businessP90Seconds),
        String(t.pendingAtEnd),
      ]),
      'No handovers received this week.',
    ),
    table(
      'Customers with the most SLA breaches',
      ['customer', 'breaches this week', 'resolved', 'resolved breached', 'open breached now'],
      o.customersByBreaches.map((c) => [
        c.customer,
        String(c.breaches),
        String(c.resolved),
        String(c.resolvedBreached),
        String(c.openBreachedNow),
      ]),
      'No SLA breach this week.',
    ),
    table(
      'Oldest handovers pending at week end',
      ['ticket', 'customer', 'from', 'to', 'handed over', 'waiting'],
      o.oldestPendingHandovers.map((p) => [
        p.ticketId,
        p.customer,
        `${p.fromTeam} (${p.fromRegion})`,
        `${p.toTeam} (${p.toRegion})`,
        localTime(p.handedOverAt, zone, 'ccc d LLL HH:mm'),
        hours(p.ageSeconds),
      ]),
      'No handover was waiting at the week’s end.',
    ),
    table(
      'Longest-open tickets at week end',
      ['ticket', 'customer', 'team', 'priority', 'created', 'age'],
      o.oldestTickets.map((t) => [
        t.ticketId,
        t.customer,
        t.team || '(unassigned)',
        t.priority,
        localTime(t.createdAt, zone, 'd LLL yyyy'),
        days(t.ageSeconds),
      ]),
      'The backlog was empty at the week’s end.',
    ),
  ].join('\n');

  const figures = charts
    .map((c) => `<figure class="chart"><figcaption>${esc(c.title)}</figcaption>\n${c.svg}\n</figure>`)
    .join('\n');

  const risk = review.slaRiskNow;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="sub">${esc(span)} · weeks in ${esc(zone)} · compared with ${esc(review.previousWeek.label)}${
    review.tenant ? ` · tenant ${esc(review.tenant)}` : ''
  }</p>
${review.complete ? '' : '<p class="warning">This week is not over yet: its figures are provisional.</p>'}
</header>
<main>
<h2>Headline</h2>
<table class="headline">
<thead><tr><th>figure</th><th class="num">${esc(review.week.label)}</th><th class="num">${esc(
    review.previousWeek.label,
  )}</th><th class="num">change</th><th class="num">target</th><th>status</th></tr></thead>
<tbody>
${headRows}
</tbody>
</table>
<p class="basis">SLA risk now${risk.asOf ? ` (evaluated ${esc(localTime(risk.asOf, zone, 'd LLL HH:mm'))})` : ''}: ${esc(
    `${risk.openTickets} open, ${risk.watch} watch, ${risk.warning} warning, ${risk.critical} critical, ${risk.breached} breached`,
  )}.</p>
<h2>Charts</h2>
<div class="charts">
${figures}
</div>
<h2>Behind the changes</h2>
<div class="offenders-grid">
${offenders}
</div>
</main>
<footer>Generated ${esc(localTime(review.generatedAt, zone, 'd LLL yyyy HH:mm'))} (${esc(zone)}). Definitions: docs/metrics.md.</footer>
</body>
</html>
`;
}
