import type { MetricPoint } from '@credo/core';

/** The (sweep, trial, attempt) a run of buffered points belongs to. */
export interface Series {
  readonly sweepId: string;
  readonly trialKey: string;
  readonly attempt: number;
}

/**
 * Metric rows waiting to be written, kept column by column and with the repeated strings
 * dictionary-encoded, so that an adapter can hand them to its bulk path (a DuckDB appender, a
 * ClickHouse insert) without touching each string once per row.
 *
 * Adapters buffer because every write to a database costs a commit (about 1.7 ms for a DuckDB
 * file on this machine class), so writing each small batch of a trial on its own caps the rate
 * at a few hundred batches per second; pooling batches across trials makes commits rare.
 * Points are copied on {@link MetricBuffer.push}, so a caller may reuse its array.
 */
export class MetricBuffer {
  /** Distinct (sweep, trial, attempt) triples; `seriesIds` index into it from 1. */
  series: Series[] = [];
  /** Distinct metric names; `nameIds` index into it from 1. */
  names: string[] = [];
  seriesIds: number[] = [];
  nameIds: number[] = [];
  steps: number[] = [];
  values: number[] = [];
  /** Milliseconds since the epoch. */
  times: number[] = [];
  private seriesIndex = new Map<string, number>();
  private nameIndex = new Map<string, number>();
  private lastName = '';
  private lastNameId = 0;

  get size(): number {
    return this.steps.length;
  }

  push(sweepId: string, trialKey: string, attempt: number, points: readonly MetricPoint[]): void {
    const sid = this.seriesId(sweepId, trialKey, attempt);
    for (const p of points) this.add(sid, p.name, p.step, p.value, p.time);
  }

  /**
   * The id of a (sweep, trial, attempt) series for {@link MetricBuffer.add}, registered on
   * first use. Ids stay valid until {@link MetricBuffer.take}.
   *
   * @example
   * ```ts
   * const sid = buffer.seriesId('s1', 'trial-a', 1);
   * buffer.add(sid, 'train/loss', 10, 0.42, Date.now());
   * ```
   */
  seriesId(sweepId: string, trialKey: string, attempt: number): number {
    const sk = `${sweepId}\u0000${trialKey}\u0000${attempt}`;
    let sid = this.seriesIndex.get(sk);
    if (sid === undefined) {
      this.series.push({ sweepId, trialKey, attempt });
      this.seriesIndex.set(sk, (sid = this.series.length));
    }
    return sid;
  }

  /** Appends one point of the series `sid` (from {@link MetricBuffer.seriesId}). */
  add(sid: number, name: string, step: number, value: number, time: number): void {
    // Consecutive points often share a name; skip the map lookup for them.
    if (name !== this.lastName || this.lastNameId === 0) {
      let id = this.nameIndex.get(name);
      if (id === undefined) {
        this.names.push(name);
        this.nameIndex.set(name, (id = this.names.length));
      }
      this.lastName = name;
      this.lastNameId = id;
    }
    this.seriesIds.push(sid);
    this.nameIds.push(this.lastNameId);
    this.steps.push(step);
    this.values.push(value);
    this.times.push(time);
  }

  /** Drops the rows after the first `size` (a caller undoing a half-added batch). */
  truncate(size: number): void {
    for (const col of [this.seriesIds, this.nameIds, this.steps, this.values, this.times]) col.length = Math.min(col.length, size);
  }

  /** Hands over the buffered rows and leaves this buffer empty. */
  take(): MetricBuffer {
    const out = new MetricBuffer();
    [out.series, this.series] = [this.series, []];
    [out.names, this.names] = [this.names, []];
    [out.seriesIds, this.seriesIds] = [this.seriesIds, []];
    [out.nameIds, this.nameIds] = [this.nameIds, []];
    [out.steps, this.steps] = [this.steps, []];
    [out.values, this.values] = [this.values, []];
    [out.times, this.times] = [this.times, []];
    [out.seriesIndex, this.seriesIndex] = [this.seriesIndex, new Map()];
    [out.nameIndex, this.nameIndex] = [this.nameIndex, new Map()];
    this.lastName = '';
    this.lastNameId = 0;
    return out;
  }
}
