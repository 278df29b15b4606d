import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { deadLetter } from '../../../core/dead-letter.js';
import {
  type CanonicalEvent,
  dimension,
  type FieldProblem,
  fieldProblems,
  parseCanonicalEvent,
} from '../../../core/events/index.js';
import type { SourceMapping } from '../../../core/mapping.js';
import type { PipelineMetrics } from '../../../core/metrics.js';
import { dlq, type Outcome } from '../../../core/outcome.js';
import { HttpError } from '../../gateway/app.js';
import type { EventSink } from '../../sink.js';
import type { AuthFailure } from './signature.js';

// The one flow every vendor webhook follows: authenticate the raw bytes, parse JSON, validate the
// vendor payload (400 with field paths), convert (pure), then emit (200 after Kafka acknowledged)
// or dead-letter what parses but cannot be mapped (202, so the vendor stops retrying).

export interface ConvertContext {
  mapping: SourceMapping;
  tenant: string;
  receivedAt: string;
}

export interface WebhookSpec<P> {
  /** Canonical `source` of the events, and the key of the value mapping used. */
  source: string;
  label: string;
  path: string;
  /** Null when the webhook is configured; else why not, naming the setting(s) that enable it. */
  disabledReason: string | null;
  /** Checks the vendor's credential over the raw body; returns why it failed, or null. */
  authenticate(req: FastifyRequest, raw: Buffer, nowMs: number): AuthFailure;
  schema: z.ZodType<P>;
  convert(payload: P, ctx: ConvertContext): Outcome<CanonicalEvent[]>;
}

export interface WebhookDeps {
  sink: EventSink;
  mappings: Map<string, SourceMapping>;
  metrics: PipelineMetrics;
  defaultTenant: string;
  now: () => number;
}

/** Converted events must still be valid canonical events; a vendor value that is not is a dead letter. */
export function validateEvents(events: CanonicalEvent[]): Outcome<CanonicalEvent[]> {
  const problems: FieldProblem[] = [];
  const valid: CanonicalEvent[] = [];
  events.forEach((event, i) => {
    const parsed = parseCanonicalEvent(event);
    if (parsed.success) valid.push(parsed.data);
    else problems.push(...fieldProblems(parsed.error, `events[${i}]`));
  });
  return problems.length > 0
    ? dlq('the payload converts into canonical events that are not valid', problems)
    : { kind: 'ok', value: valid };
}

/**
 * Registers vendor webhook routes in their own plugin scope, whose JSON parser keeps the body as
 * bytes: authentication comes first (an unsigned request gets 401, not a JSON error) and
 * signatures are computed over exactly what the vendor sent.
 */
export async function registerWebhooks(
  app: FastifyInstance,
  specs: readonly RegisteredWebhook[],
  deps: WebhookDeps,
): Promise<void> {
  await app.register(async (scope) => {
    scope.removeContentTypeParser(['application/json', 'application/*+json']);
    scope.addContentTypeParser(
      ['application/json', 'application/*+json'],
      { parseAs: 'buffer' },
      (req, body, done) => {
        req.rawBody = body as Buffer;
        done(null, body);
      },
    );
    for (const register of specs) register(scope, deps);
  });
}

/** A spec with its payload type erased, so specs of different vendors fit in one list. */
export type RegisteredWebhook = (app: FastifyInstance, deps: WebhookDeps) => void;

export function webhook<P>(spec: WebhookSpec<P>): RegisteredWebhook {
  return (app, deps) => registerOne(app, spec, deps);
}

function registerOne<P>(app: FastifyInstance, spec: WebhookSpec<P>, deps: WebhookDeps): void {
  const mapping = deps.mappings.get(spec.source);
  if (!mapping) throw new Error(`no value mapping for source "${spec.source}"`);
  const origin = { kind: 'http' as const, ref: `POST ${spec.path}`, source: spec.source };

  app.post<{ Querystring: Record<string, string | string[] | undefined> }>(spec.path, async (req, reply) => {
    if (spec.disabledReason) throw new HttpError(404, 'webhook_disabled', spec.disabledReason);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const failure = spec.authenticate(req, raw, deps.now());
    if (failure) throw new HttpError(401, 'unauthorized', failure);

    if (raw.length === 0) throw new HttpError(400, 'bad_request', 'the request body is empty');
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      throw new HttpError(
        400,
        'invalid_payload',
        `the body is not a ${spec.label} webhook payload Baton supports`,
        fieldProblems(parsed.error),
      );
    }
    const tenantParam = req.query.tenant;
    const tenant = dimension.safeParse(tenantParam ?? deps.defaultTenant);
    if (!tenant.success) {
      throw new HttpError(400, 'bad_request', 'the tenant query parameter is not valid', [
        { path: 'tenant', message: tenant.error.issues[0]?.message ?? 'invalid' },
      ]);
    }

    const converted = spec.convert(parsed.data, {
      mapping,
      tenant: tenant.data,
      receivedAt: new Date(deps.now()).toISOString(),
    });
    const outcome = converted.kind === 'ok' ? validateEvents(converted.value) : converted;
    switch (outcome.kind) {
      case 'drop':
        return reply.status(200).send({ accepted: 0, ignored: outcome.reason });
      case 'dlq':
        await deps.sink.deadLetter([deadLetter(origin, outcome.reason, raw, outcome.problems)]);
        deps.metrics.deadLettered.inc({ topic: 'gateway' });
        req.log.warn({ source: spec.source, reason: outcome.reason }, 'webhook payload dead-lettered');
        return reply.status(202).send({ deadLettered: true, reason: outcome.reason });
      case 'ok':
        await deps.sink.emit(outcome.value);
        deps.metrics.eventsIn.inc({ topic: 'gateway' }, outcome.value.length);
        return reply
          .status(200)
          .send({ accepted: outcome.value.length, eventIds: outcome.value.map((e) => e.eventId) });
    }
  });
}
