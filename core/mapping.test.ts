import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMappings, loadMappings, MappingError } from './mapping.js';

describe('source mappings', () => {
  const servicenow = buildMappings().get('servicenow')!;

  it('normalises vendor values whatever their case and spacing, keeping hold reasons', () => {
    expect(servicenow.mapStatus('6')).toEqual({ kind: 'ok', value: { status: 'resolved' } });
    expect(servicenow.mapStatus('  Awaiting   Vendor ')).toEqual({
      kind: 'ok',
      value: { status: 'on_hold', holdReason: 'vendor' },
    });
    expect(servicenow.mapPriority('3 - Moderate')).toEqual({ kind: 'ok', value: 'medium' });
    expect(servicenow.mapRegion('POLAND')).toEqual({ kind: 'ok', value: 'EMEA' });
    expect(servicenow.mapRegion('br')).toEqual({ kind: 'ok', value: 'AMER' });
  });

  it('dead-letters an unknown value with the section to add it to', () => {
    expect(servicenow.mapStatus('Awaiting Godot')).toEqual({
      kind: 'dlq',
      reason:
        'unknown status "Awaiting Godot" for source "servicenow": add it to the "status" section of that source\'s mapping',
    });
    expect(servicenow.mapRegion(undefined).kind).toBe('dlq');
  });

  it('merges a mapping file over the defaults key by key', () => {
    const file = join(tmpdir(), `mapping-${process.pid}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        servicenow: { status: { 'awaiting godot': { status: 'on_hold', holdReason: 'other' } } },
        acme_psa: { priority: { p1: 'critical' }, teams: { 'NOC Warsaw': { region: 'EMEA', tier: 'L2' } } },
      }),
    );
    const m = loadMappings(file);
    expect(m.get('servicenow')!.mapStatus('Awaiting Godot')).toEqual({
      kind: 'ok',
      value: { status: 'on_hold', holdReason: 'other' },
    });
    expect(m.get('servicenow')!.mapStatus('7')).toEqual({ kind: 'ok', value: { status: 'closed' } });
    const psa = m.get('acme_psa')!;
    expect(psa.mapPriority('P1')).toEqual({ kind: 'ok', value: 'critical' });
    expect(psa.mapRegion(undefined, 'noc warsaw')).toEqual({ kind: 'ok', value: 'EMEA' });
    expect(psa.mapTier(undefined, 'NOC Warsaw')).toEqual({ kind: 'ok', value: 'L2' });
  });

  it('rejects a mapping file with the path of the bad entry', () => {
    const file = join(tmpdir(), `mapping-bad-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ zendesk: { status: { pending: { status: 'waiting' } } } }));
    expect(() => loadMappings(file)).toThrow(MappingError);
    expect(() => loadMappings(file)).toThrow(/zendesk\.status\.pending\.status/);
  });
});
