import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlDir } from './paths.js';

// Read queries live one per file under sql/queries with typed {name:Type} placeholders, so every
// value reaches ClickHouse as a query parameter and the SQL can be run as it is from a console.
const cache = new Map<string, string>();

export function readQuery(name: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad query name ${name}`);
  let sql = cache.get(name);
  if (sql === undefined) {
    sql = readFileSync(join(sqlDir, 'queries', `${name}.sql`), 'utf8')
      .trim()
      .replace(/;\s*$/, '');
    cache.set(name, sql);
  }
  return sql;
}
