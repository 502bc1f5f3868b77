import { parentPort } from 'node:worker_threads';
import { isCredoError, type MetricPoint, type TrialConfig } from '@credo/core';
import { MetricSink } from './metric-sink.js';
import { trainTrial, type TrainOutcome } from './train.js';

/**
 * Messages a trial thread posts to the pool about run `run`, in order; `end` is always last.
 * They go through the thread's own `parentPort`, which Piscina hands to the pool's `message`
 * event: one channel per thread for its whole life, instead of a MessageChannel transferred
 * with every trial (which cost a port transfer per trial and leaked a few KB per trial).
 */
export type ThreadMessage = { run: number; type: 'metrics'; points: MetricPoint[] } | { run: number; type: 'end' };

export interface ThreadTask {
  config: TrialConfig;
  /** The pool's id of this run, echoed in every {@link ThreadMessage}. */
  run: number;
}

/** What crosses back from the thread: plain data, because Error fields do not survive the boundary. */
export type ThreadResult = TrainOutcome | { status: 'failed'; steps: number; final: Record<string, number>; error: string; code: string };

/**
 * The Piscina entry: runs one trial in this worker thread. It imports only the numeric
 * packages (checked by scripts/check-deps.mjs), so a thread starts fast and small.
 */
export default function runTrialInThread({ config, run }: ThreadTask): ThreadResult {
  const port = parentPort!;
  const sink = new MetricSink((points) => port.postMessage({ run, type: 'metrics', points } satisfies ThreadMessage));
  try {
    return trainTrial(config, sink);
  } catch (e) {
    sink.flush();
    const code = isCredoError(e) ? e.code : 'INTERNAL';
    return { status: 'failed', steps: 0, final: {}, error: e instanceof Error ? e.message : String(e), code };
  } finally {
    port.postMessage({ run, type: 'end' } satisfies ThreadMessage);
  }
}
