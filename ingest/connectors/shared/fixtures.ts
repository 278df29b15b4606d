import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';

/** Reads `<vendor>/fixtures/<name>.json` and validates it with the vendor schema (tests only). */
export function loadFixture<S extends z.ZodType>(vendor: string, name: string, schema: S): z.infer<S> {
  const raw = readFileSync(join(import.meta.dirname, '..', vendor, 'fixtures', `${name}.json`), 'utf8');
  return schema.parse(JSON.parse(raw));
}

export function fixtureText(vendor: string, name: string): string {
  return readFileSync(join(import.meta.dirname, '..', vendor, 'fixtures', `${name}.json`), 'utf8');
}
