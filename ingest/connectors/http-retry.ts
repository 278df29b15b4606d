// HTTP GET with the retry discipline vendor APIs ask for: on 429 wait what Retry-After says
// (seconds or an HTTP date, capped), on 5xx and network errors back off exponentially with full
// jitter (bounded), and give up after a bounded number of attempts. Other 4xx are not retried.

export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  constructor(
    readonly status: number,
    readonly url: string,
    readonly body: string,
  ) {
    super(`HTTP ${status} from ${url}${body ? `: ${body.slice(0, 300)}` : ''}`);
  }
}

export interface RetryPolicy {
  maxAttempts: number;
  /** First backoff step; doubles per attempt. */
  baseDelayMs: number;
  /** Upper bound of one backoff step. */
  maxDelayMs: number;
  /** Upper bound of one Retry-After wait. */
  maxRetryAfterMs: number;
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
  timeoutMs: 30_000,
};

export interface RetryHooks {
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void;
  signal?: AbortSignal;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Milliseconds a Retry-After header asks for, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const v = header.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export async function getWithRetry(
  url: string,
  headers: Record<string, string>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<Response> {
  const wait = hooks.sleep ?? sleep;
  const random = hooks.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let waitMs: number;
    try {
      const signal = hooks.signal
        ? AbortSignal.any([hooks.signal, AbortSignal.timeout(policy.timeoutMs)])
        : AbortSignal.timeout(policy.timeoutMs);
      const res = await fetch(url, { headers, signal });
      if (res.ok) return res;
      const body = await res.text().catch(() => '');
      if (res.status === 429) {
        reason = 'HTTP 429';
        waitMs = Math.min(
          retryAfterMs(res.headers.get('retry-after')) ?? backoffMs(attempt, policy, random),
          policy.maxRetryAfterMs,
        );
      } else if (res.status >= 500) {
        reason = `HTTP ${res.status}`;
        waitMs = backoffMs(attempt, policy, random);
      } else {
        throw new HttpStatusError(res.status, url, body);
      }
      if (attempt >= policy.maxAttempts) throw new HttpStatusError(res.status, url, body);
    } catch (err) {
      if (err instanceof HttpStatusError || hooks.signal?.aborted) throw err;
      if (attempt >= policy.maxAttempts) throw err;
      reason = (err as Error).message;
      waitMs = backoffMs(attempt, policy, random);
    }
    hooks.onRetry?.({ attempt, waitMs, reason });
    await wait(waitMs, hooks.signal);
  }
}
