import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fieldProblems } from '../../core/events/common.js';

// Where alert notifications go: ALERT_RECEIVERS_FILE, a JSON object validated here at start-up.
// URLs, headers and SMTP passwords are secrets (a Slack or Teams webhook URL is its own
// credential): they are never logged; logs name a receiver by its id.

const receiverId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, "-" and "_"');
const httpUrl = z.url({ protocol: /^https?$/ });

/** Which alerts a receiver gets; every alert when absent. */
const matchSchema = z
  .object({
    severities: z
      .array(z.enum(['info', 'warning', 'critical']))
      .min(1)
      .optional(),
    rules: z.array(z.string().min(1)).min(1).optional(),
    tenants: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

const common = {
  id: receiverId,
  match: matchSchema.optional(),
  /** Also tell when an alert resolves. */
  sendResolved: z.boolean().default(true),
};

export const webhookReceiverSchema = z
  .object({
    ...common,
    type: z.literal('webhook'),
    url: httpUrl,
    /** Extra request headers, e.g. an Authorization the receiving end expects. */
    headers: z.record(z.string().min(1), z.string()).default({}),
  })
  .strict();

export const slackReceiverSchema = z.object({ ...common, type: z.literal('slack'), url: httpUrl }).strict();

export const teamsReceiverSchema = z
  .object({
    ...common,
    type: z.literal('teams'),
    url: httpUrl,
    /** `adaptive` (Workflows webhooks) or `messagecard` (legacy Office 365 connectors). */
    format: z.enum(['adaptive', 'messagecard']).default('adaptive'),
  })
  .strict();

export const emailReceiverSchema = z
  .object({
    ...common,
    type: z.literal('email'),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
        secure: z.boolean().default(false),
        /** Refuse to send without STARTTLS. */
        requireTLS: z.boolean().default(false),
        user: z.string().min(1).optional(),
        pass: z.string().min(1).optional(),
      })
      .strict(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
  })
  .strict();

export const receiverSchema = z.discriminatedUnion('type', [
  webhookReceiverSchema,
  slackReceiverSchema,
  teamsReceiverSchema,
  emailReceiverSchema,
]);
export type Receiver = z.infer<typeof receiverSchema>;

export const receiversFileSchema = z
  .object({
    receivers: z.array(receiverSchema).default([]),
    /** Delivery attempts per notification and the backoff between them (doubling, capped). */
    retry: z
      .object({
        attempts: z.number().int().min(1).max(20).default(5),
        initialDelayMs: z.number().int().min(0).default(1_000),
        maxDelayMs: z.number().int().min(0).default(60_000),
        timeoutMs: z.number().int().min(100).default(10_000),
      })
      .strict()
      .default({ attempts: 5, initialDelayMs: 1_000, maxDelayMs: 60_000, timeoutMs: 10_000 }),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.receivers.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({
          code: 'custom',
          path: ['receivers', i, 'id'],
          message: `duplicate receiver id ${r.id}`,
        });
      seen.add(r.id);
    });
  });
export type ReceiversConfig = z.infer<typeof receiversFileSchema>;

export class ReceiversError extends Error {
  override readonly name = 'ReceiversError';
}

export function parseReceivers(json: unknown, origin = 'alert receivers'): ReceiversConfig {
  const parsed = receiversFileSchema.safeParse(json);
  if (!parsed.success) {
    // Paths and reasons only: zod's messages never repeat the offending value, so no secret leaks.
    const lines = fieldProblems(parsed.error).map((p) => `  ${p.path || '(root)'}: ${p.message}`);
    throw new ReceiversError(`${origin} are not valid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The receivers of ALERT_RECEIVERS_FILE, or none (alerts are then stored and produced only). */
export function loadReceivers(file: string | undefined): ReceiversConfig {
  if (!file) return receiversFileSchema.parse({});
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ReceiversError(`alert receivers file ${file}: ${(err as Error).message}`);
  }
  return parseReceivers(json, `alert receivers in ${file}`);
}

/** What may be logged about a receiver: never its URL, headers or credentials. */
export function describeReceiver(r: Receiver): Record<string, string> {
  return { receiver: r.id, type: r.type };
}
