import type { MetricPoint } from '@credo/core';

/**
 * Collects metric points inside the training loop and hands them on in batches, so that a
 * training step never waits on I/O (promise 4): `emit` is an array push; `flush` posts the
 * batch (postMessage is asynchronous and copies, it never blocks on the receiver).
 *
 * @example
 * ```ts
 * const sink = new MetricSink((batch) => port.postMessage({ type: 'metrics', points: batch }));
 * sink.emit('train/loss', 100, 0.42);
 * sink.flush();
 * ```
 */
export class MetricSink {
  private buf: MetricPoint[] = [];
  private lastFlush = Date.now();
  /** Points emitted in total, for the `metric_logging_overhead` benchmark and tests. */
  emitted = 0;

  constructor(
    private readonly send: (batch: MetricPoint[]) => void,
    private readonly maxPoints = 512,
    private readonly maxDelayMs = 250,
  ) {}

  emit(name: string, step: number, value: number): void {
    const time = Date.now();
    this.buf.push({ name, step, value, time });
    this.emitted++;
    if (this.buf.length >= this.maxPoints || time - this.lastFlush >= this.maxDelayMs) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const batch = this.buf;
    this.buf = [];
    this.lastFlush = Date.now();
    this.send(batch);
  }
}
