import type { MessagePort } from 'node:worker_threads';
import { isCredoError, type MetricPoint, type TrialConfig } from '@credo/core';
import { MetricSink } from './metric-sink.js';
import { trainTrial, type TrainOutcome } from './train.js';

/** Messages a trial thread posts on its port, in order; `end` is always last. */
export type ThreadMessage = { type: 'metrics'; points: MetricPoint[] } | { type: 'end' };

export interface ThreadTask {
  config: TrialConfig;
  port: MessagePort;
}

/** What crosses back from the thread: plain data, because Error fields do not survive the boundary. */
export type ThreadResult = TrainOutcome | { status: 'failed'; steps: number; final: Record<string, number>; error: string; code: string };

/**
 * The Piscina entry: runs one trial in this worker thread. It imports only the numeric
 * packages (checked by scripts/check-deps.mjs), so a thread starts fast and small.
 */
export default function runTrialInThread({ config, port }: ThreadTask): ThreadResult {
  const sink = new MetricSink((points) => port.postMessage({ type: 'metrics', points } satisfies ThreadMessage));
  try {
    return trainTrial(config, sink);
  } catch (e) {
    sink.flush();
    const code = isCredoError(e) ? e.code : 'INTERNAL';
    return { status: 'failed', steps: 0, final: {}, error: e instanceof Error ? e.message : String(e), code };
  } finally {
    port.postMessage({ type: 'end' } satisfies ThreadMessage);
    port.close();
  }
}
