import { describe, expect, it } from 'vitest';
import { readQuery } from '../../core/queries.js';

// readQuery's sections: a part of a query file between `-- section NAME` and
// `-- end section NAME`, left out on request (the hours a range splits, when none is).
describe('readQuery sections', () => {
  const name = 'escalations-by-period-rollup';

  it('keeps a section by default and leaves it out, markers and all, when asked', () => {
    const whole = readQuery(name);
    const without = readQuery(name, { omit: ['split'] });
    expect(whole).toContain('ARRAY JOIN resolutions AS r');
    expect(without).not.toContain('ARRAY JOIN resolutions AS r');
    expect(without).not.toContain('section split');
    // Only the section's lines go: the rest of the query is as it was, line for line.
    const lines = whole.split('\n');
    const start = lines.findIndex((l) => l.trim() === '-- section split');
    const end = lines.findIndex((l) => l.trim() === '-- end section split');
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    expect(without.split('\n')).toEqual([...lines.slice(0, start), ...lines.slice(end + 1)]);
  });

  it('refuses a section the query does not have, or a bad name', () => {
    expect(() => readQuery('backlog', { omit: ['split'] })).toThrow('backlog.sql has no section split');
    expect(() => readQuery(name, { omit: ['split; DROP'] })).toThrow('bad section name');
  });
});
