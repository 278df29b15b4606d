import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';

// A caller that goes away (a dashboard refreshed, a browser tab closed, a load generator stopped)
// no longer wants its answer: the queries made for it are cancelled instead of running to the end
// for nobody. Each request gets an AbortSignal, aborted when its connection closes before the
// response was sent; the routes' ClickHouse client passes it with every query of that request
// (found through the request's async context, so no route has to thread it through), and asks
// ClickHouse to cancel a read whose HTTP connection closed
// (`cancel_http_readonly_queries_on_client_close`). Reads shared between requests (the rollup
// watermarks, a cached answer computed for several callers) must use the plain client.

const current = new AsyncLocalStorage<AbortSignal>();

/** Gives every request a signal aborted when the caller leaves before its response was sent. */
export function registerRequestCancellation(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    const controller = new AbortController();
    // Every query of the request listens to the signal; the weekly review makes 14 at once, more
    // than the 10 after which Node warns of a leak.
    setMaxListeners(64, controller.signal);
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new Error('the client closed the connection'));
    });
    req.clientGone = controller.signal;
    current.run(controller.signal, done);
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Aborted when the caller closed the connection before the response was sent. */
    clientGone?: AbortSignal;
  }
}

/** The signal of the request being handled, if any. */
export const currentRequestSignal = (): AbortSignal | undefined => current.getStore();

/** `ch` whose queries are cancelled when the request they were made for is abandoned. */
export function cancellableClient(ch: ClickHouseClient): ClickHouseClient {
  return new Proxy(ch, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return (params: Parameters<ClickHouseClient['query']>[0]) => {
        const signal = params.abort_signal ?? currentRequestSignal();
        if (!signal) return target.query(params);
        return target.query({
          ...params,
          abort_signal: signal,
          clickhouse_settings: {
            cancel_http_readonly_queries_on_client_close: 1,
            ...params.clickhouse_settings,
          },
        });
      };
    },
  }) as ClickHouseClient;
}
