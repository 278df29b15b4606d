import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlDir } from './paths.js';

// Read queries live one per file under sql/queries with typed {name:Type} placeholders, so every
// value reaches ClickHouse as a query parameter and the SQL can be run as it is from a console.
// A query may mark a part that only some requests need between the lines `-- section NAME` and
// `-- end section NAME` (e.g. the hours a range splits: a part that reads a table again, which
// costs the engine its planning even when its condition is false); `omit` leaves such parts out.
const cache = new Map<string, string>();

export interface QueryOptions {
  /** Sections to leave out of the query text. */
  omit?: readonly string[];
}

export function readQuery(name: string, opts: QueryOptions = {}): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad query name ${name}`);
  const omit = [...(opts.omit ?? [])].sort();
  const key = [name, ...omit].join('\n');
  let sql = cache.get(key);
  if (sql === undefined) {
    sql = readFileSync(join(sqlDir, 'queries', `${name}.sql`), 'utf8')
      .trim()
      .replace(/;\s*$/, '');
    for (const section of omit) sql = withoutSection(sql, name, section);
    cache.set(key, sql);
  }
  return sql;
}

function withoutSection(sql: string, name: string, section: string): string {
  if (!/^[a-z0-9-]+$/.test(section)) throw new Error(`bad section name ${section}`);
  const lines = sql.split('\n');
  const out: string[] = [];
  let inside = false;
  let found = false;
  for (const line of lines) {
    const marker = line.trim();
    if (marker === `-- section ${section}`) {
      if (inside) throw new Error(`${name}.sql: section ${section} opens twice`);
      inside = true;
      found = true;
    } else if (marker === `-- end section ${section}`) {
      if (!inside) throw new Error(`${name}.sql: section ${section} ends without a start`);
      inside = false;
    } else if (!inside) out.push(line);
  }
  if (inside) throw new Error(`${name}.sql: section ${section} has no end`);
  if (!found) throw new Error(`${name}.sql has no section ${section}`);
  return out.join('\n');
}
