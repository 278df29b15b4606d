import { type AuthFailure, hmacSha256, safeEqual } from '../shared/signature.js';

export interface ZendeskSignatureInput {
  signature: string | undefined;
  timestamp: string | undefined;
  secret: string;
  body: Buffer;
  nowMs: number;
  windowSeconds: number;
}

/** The signature timestamp as epoch ms: Zendesk sends ISO-8601; epoch seconds are accepted too. */
export function timestampMs(value: string): number {
  const text = value.trim();
  return /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
}

/**
 * Zendesk webhook signing: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp +
 * body)) with the timestamp from `X-Zendesk-Webhook-Signature-Timestamp`. A timestamp further than
 * the replay window from now is refused, so a captured request cannot be replayed later.
 */
export function checkZendeskSignature(input: ZendeskSignatureInput): AuthFailure {
  const { signature, timestamp } = input;
  if (!signature || !timestamp) {
    return 'the X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp headers are required';
  }
  const expected = hmacSha256(input.secret, timestamp, input.body).toString('base64');
  if (!safeEqual(signature.trim(), expected))
    return 'the X-Zendesk-Webhook-Signature does not match the body';
  const at = timestampMs(timestamp);
  if (!Number.isFinite(at)) return 'the X-Zendesk-Webhook-Signature-Timestamp is not a date-time';
  if (Math.abs(input.nowMs - at) > input.windowSeconds * 1000) {
    return `the signature timestamp is outside the replay window of ${input.windowSeconds} seconds`;
  }
  return null;
}
