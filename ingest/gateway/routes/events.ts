import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ApiKeyIdentity } from '../../../core/api-keys.js';
import {
  type CanonicalEvent,
  type FieldProblem,
  fieldProblems,
  parseCanonicalEvent,
} from '../../../core/events/index.js';
import type { PipelineMetrics } from '../../../core/metrics.js';
import type { EventSink } from '../../sink.js';
import { HttpError } from '../app.js';
import type { RecentIds } from '../recent-ids.js';

interface Rejection {
  index: number;
  eventId?: string;
  problems: FieldProblem[];
}

/**
 * POST /v1/events: a batch of canonical events, as a JSON array or `{ "events": [...] }`. Each
 * item is validated on its own; the valid ones are written (acks=all) before the answer, the
 * invalid ones are listed with their field paths. 200 all taken, 207 some, 400 none.
 */
export const eventsRoute: FastifyPluginAsync<{
  sink: EventSink;
  maxBatch: number;
  /** Refuses the request (throws) or returns the key's identity, whose tenant restriction applies per event. */
  checkKey: (req: FastifyRequest) => ApiKeyIdentity | undefined;
  recent: RecentIds;
  metrics: PipelineMetrics;
}> = async (app, { sink, maxBatch, checkKey, recent, metrics }) => {
  app.post('/v1/events', async (req, reply) => {
    const key = checkKey(req);
    const body = req.body as unknown;
    const items = Array.isArray(body)
      ? body
      : typeof body === 'object' && body !== null && Array.isArray((body as { events?: unknown }).events)
        ? (body as { events: unknown[] }).events
        : null;
    const prefix = Array.isArray(body) ? '' : 'events';
    if (!items) {
      throw new HttpError(
        400,
        'bad_request',
        'the body must be a JSON array of events or { "events": [...] }',
      );
    }
    if (items.length === 0) throw new HttpError(400, 'bad_request', 'the batch holds no events');
    if (items.length > maxBatch) {
      throw new HttpError(
        413,
        'batch_too_large',
        `a batch holds at most ${maxBatch} events, this one ${items.length}`,
      );
    }

    const valid: CanonicalEvent[] = [];
    const rejected: Rejection[] = [];
    let duplicates = 0;
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const parsed = parseCanonicalEvent(item);
      if (!parsed.success) {
        const eventId = (item as { eventId?: unknown } | null)?.eventId;
        rejected.push({
          index,
          ...(typeof eventId === 'string' ? { eventId } : {}),
          problems: fieldProblems(parsed.error, `${prefix}[${index}]`),
        });
      } else if (key?.tenants && !key.tenants.includes(parsed.data.tenant)) {
        rejected.push({
          index,
          eventId: parsed.data.eventId,
          problems: [
            {
              path: `${prefix}[${index}].tenant`,
              message: `this API key may only write tenants ${key.tenants.map((t) => `"${t}"`).join(', ')}`,
            },
          ],
        });
      } else if (recent.has(parsed.data.eventId) || seen.has(parsed.data.eventId)) {
        duplicates++;
      } else {
        seen.add(parsed.data.eventId);
        valid.push(parsed.data);
      }
    });

    if (valid.length > 0) {
      await sink.emit(valid);
      recent.addAll(valid.map((e) => e.eventId));
      metrics.eventsIn.inc({ topic: 'gateway' }, valid.length);
    }
    const status = rejected.length === 0 ? 200 : valid.length + duplicates > 0 ? 207 : 400;
    return reply.status(status).send({ accepted: valid.length, duplicates, rejected });
  });
};
