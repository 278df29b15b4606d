import { describe, expect, it } from 'vitest';
import { splitStatements } from './migrate.js';

describe('splitStatements', () => {
  it('splits at semicolons ending a line and drops comment-only pieces', () => {
    const sql =
      "-- header\nCREATE TABLE a (x String DEFAULT 'a;b');\n\n-- trailing comment only\nSELECT 1;  \n-- end\n";
    expect(splitStatements(sql)).toEqual([
      "-- header\nCREATE TABLE a (x String DEFAULT 'a;b')",
      '-- trailing comment only\nSELECT 1',
    ]);
  });
});
