// Processing steps say what happened to an input instead of throwing for expected cases:
// `ok` carries the value on, `drop` discards it on purpose, `dlq` sends it to the dead-letter topic.
// Unexpected errors still throw, so the whole batch is redone.

export type Outcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'drop'; reason: string }
  | { kind: 'dlq'; reason: string; problems?: { path: string; message: string }[] };

export const ok = <T>(value: T): Outcome<T> => ({ kind: 'ok', value });
export const drop = <T = never>(reason: string): Outcome<T> => ({ kind: 'drop', reason });
export const dlq = <T = never>(reason: string, problems?: { path: string; message: string }[]): Outcome<T> =>
  problems ? { kind: 'dlq', reason, problems } : { kind: 'dlq', reason };
