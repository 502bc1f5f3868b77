import { isCredoError } from '@credo/core';
import { grpc, type CoordinatorServiceHandlers, type SweepStatus } from '@credo/proto';
import type { Coordinator } from './coordinator.js';

const USAGE = new Set(['USAGE', 'SPEC_SYNTAX', 'SPEC_INVALID', 'UNKNOWN_COMPONENT', 'UNKNOWN_PARAM', 'BAD_PARAM', 'EMPTY_GRID', 'FILE_NOT_FOUND']);

/** A CredoError keeps its message (field, value, allowed) and maps its code onto a gRPC status. */
function toStatus(e: unknown): Partial<grpc.ServiceError> {
  if (isCredoError(e)) {
    const code = e.code === 'NOT_FOUND' ? grpc.status.NOT_FOUND : USAGE.has(e.code) ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL;
    const metadata = new grpc.Metadata();
    metadata.set('credo-error-code', e.code);
    return { code, details: e.message, metadata };
  }
  return { code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e) };
}

function unary<Req, Res>(f: (req: Req) => Promise<Res> | Res): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    Promise.resolve()
      .then(() => f(call.request))
      .then((r) => cb(null, r), (e) => cb(toStatus(e) as grpc.ServiceError));
  };
}

/** Pushes at most one status per interval, always the latest, and always the final one. */
const WATCH_INTERVAL_MS = 200;

export function coordinatorHandlers(c: Coordinator): CoordinatorServiceHandlers {
  return {
    submitSweep: unary(async (req) => {
      const r = await c.submit(req.spec?.yaml ?? '', req.spec?.sourceName ?? '', req.spec?.maxAttempts ?? 0);
      return { status: r.status, existing: r.existing };
    }),
    getSweep: unary((req) => c.get(req.sweepId)),
    listSweeps: unary(() => ({ sweeps: c.list() })),
    cancelSweep: unary((req) => c.cancel(req.sweepId)),
    retryFailed: unary(async (req) => c.retryFailed(req.sweepId)),
    watchSweep: (call) => {
      let latest: SweepStatus | undefined;
      let timer: NodeJS.Timeout | undefined;
      let unsubscribe = (): void => {};
      const flush = (): void => {
        timer = undefined;
        if (!latest || call.cancelled) return;
        const s = latest;
        latest = undefined;
        call.write(s);
        if (s.state !== 'running') {
          unsubscribe();
          call.end();
        }
      };
      try {
        unsubscribe = c.watch(call.request.sweepId, (s) => {
          latest = s;
          if (s.state !== 'running') flush();
          else timer ??= setTimeout(flush, WATCH_INTERVAL_MS);
        });
        flush();
      } catch (e) {
        call.destroy(Object.assign(new Error((toStatus(e).details as string) ?? 'error'), toStatus(e)));
        return;
      }
      call.on('cancelled', () => {
        unsubscribe();
        if (timer) clearTimeout(timer);
      });
    },
  };
}
