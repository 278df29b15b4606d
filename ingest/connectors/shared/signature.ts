import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// Constant-time checks of vendor webhook credentials. Pure functions, so each vendor's rules are
// unit-tested without HTTP.

/** Compares two secrets in constant time (both are hashed first, so lengths do not leak). */
export function safeEqual(given: string | Buffer, expected: string | Buffer): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function hmacSha256(secret: string, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac('sha256', secret);
  for (const p of parts) mac.update(p);
  return mac.digest();
}

/** Why a credential check failed, phrased for the caller; null when it passed. */
export type AuthFailure = string | null;
