import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSlaPolicies } from './policy.js';
import { loadSlaSettings, SlaSettingsError } from './settings.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-sla-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const calendars = {
  calendars: [
    { id: 'lon', zone: 'Europe/London', weekly: { mon: [['09:00', '17:00']] } },
    { id: 'always', kind: '24x7' },
  ],
  regions: { EMEA: 'lon' },
  fallbackCalendar: 'always',
};

describe('SLA settings', () => {
  it('defaults to the demo policies and calendars', () => {
    const s = loadSlaSettings({});
    expect(s.policies).toBe(defaultSlaPolicies);
    expect(s.calendars.forRegion('EMEA')?.id).toBe('emea-lon');
    expect(s.calendars.forRegion('MARS')?.id).toBe('24x7');
  });

  it('loads both files', () => {
    const s = loadSlaSettings({
      CALENDARS_FILE: file('cals.json', calendars),
      SLA_POLICIES_FILE: file('pol.json', [
        { id: 'all', responseTargetSeconds: 60, resolutionTargetSeconds: 600, calendar: 'owner' },
      ]),
    });
    expect(s.policies.map((p) => p.id)).toEqual(['all']);
    expect(s.calendars.forRegion('EMEA')?.id).toBe('lon');
    expect(s.calendars.forRegion('APAC')?.id).toBe('always');
  });

  it('names the file and the exact path of each problem', () => {
    const bad = file('bad-cals.json', {
      ...calendars,
      calendars: [{ id: 'lon', zone: 'Mars/Olympus', weekly: { tue: [['18:00', '08:00']] } }],
      regions: { EMEA: 'nope' },
    });
    expect(() => loadSlaSettings({ CALENDARS_FILE: bad })).toThrow(SlaSettingsError);
    const message = (() => {
      try {
        loadSlaSettings({ CALENDARS_FILE: bad });
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message).toContain(`calendars file ${bad} is not valid`);
    expect(message).toContain('calendars[0].zone: not a valid IANA time zone');
    expect(message).toContain(
      'calendars[0].weekly.tue[0][1]: interval end 08:00 is not after its start 18:00',
    );
  });

  it('rejects policies whose calendar is not configured, and unreadable files', () => {
    const pol = file('pol2.json', [
      { id: 'x', responseTargetSeconds: 60, resolutionTargetSeconds: 600, calendar: 'emea-lon' },
    ]);
    expect(() =>
      loadSlaSettings({ CALENDARS_FILE: file('c2.json', calendars), SLA_POLICIES_FILE: pol }),
    ).toThrow('[0].calendar: unknown calendar emea-lon (policy x)');
    expect(() => loadSlaSettings({ SLA_POLICIES_FILE: file('broken.json', '[{') })).toThrow(
      /SLA policies file .*broken\.json: /,
    );
    expect(() => loadSlaSettings({ SLA_POLICIES_FILE: join(dir, 'missing.json') })).toThrow(/ENOENT/);
  });
});
