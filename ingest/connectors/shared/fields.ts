import { z } from 'zod';
import { toIsoUtc } from './events.js';

// zod building blocks for vendor payloads. Vendor schemas are not strict: vendors add fields at
// will, and an unknown field must not reject a delivery.

/** A vendor timestamp (ISO-8601 with offset, or ServiceNow's `YYYY-MM-DD HH:mm:ss` UTC) → ISO UTC. */
export const vendorTime = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const iso = toIsoUtc(value);
  if (iso === null) {
    ctx.addIssue({
      code: 'custom',
      message: 'not a date-time (ISO-8601 with offset, or YYYY-MM-DD HH:mm:ss UTC)',
    });
    return z.NEVER;
  }
  return iso;
});

/** An optional text value where the vendor sends "" or null for "empty": normalised to undefined. */
export const optionalText = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) =>
    v === null || v === undefined || String(v).trim() === '' ? undefined : String(v).trim(),
  );

/** An id the vendor sends as a number or a string. */
export const idText = z.union([z.string().min(1), z.number().int()]).transform(String);

export type Channel = 'phone' | 'email' | 'portal' | 'chat' | 'monitoring' | 'other';

const channels: Record<string, Channel> = {
  phone: 'phone',
  voice: 'phone',
  email: 'email',
  mail: 'email',
  web: 'portal',
  portal: 'portal',
  'self-service': 'portal',
  help_center: 'portal',
  chat: 'chat',
  virtual_agent: 'chat',
  messaging: 'chat',
  native_messaging: 'chat',
  event: 'monitoring',
  monitoring: 'monitoring',
  alert: 'monitoring',
};

/** A vendor's intake channel as one of Baton's; anything else is `other`, nothing is `undefined`. */
export function channelOf(raw: string | undefined): Channel | undefined {
  if (raw === undefined) return undefined;
  return channels[raw.trim().toLowerCase()] ?? 'other';
}
