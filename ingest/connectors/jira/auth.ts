import { type AuthFailure, hmacSha256, safeEqual } from '../shared/signature.js';

/**
 * Jira Cloud admin webhooks registered with a secret sign the raw body: `X-Hub-Signature:
 * sha256=<hex HMAC-SHA256(secret, body)>` (the WebSub `method=signature` form).
 */
export function checkHubSignature(header: string | undefined, secret: string, body: Buffer): AuthFailure {
  if (!header) return 'the X-Hub-Signature header is required (sha256=<hex HMAC of the body>)';
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return 'the X-Hub-Signature header is not of the form sha256=<64 hex digits>';
  const expected = hmacSha256(secret, body).toString('hex');
  return safeEqual(match[1]!.toLowerCase(), expected) ? null : 'the X-Hub-Signature does not match the body';
}
