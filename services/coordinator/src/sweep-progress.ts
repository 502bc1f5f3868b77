import type { SweepStatus } from '@credo/proto';

/** Status of one trial as the coordinator tracks it: one byte per trial, so 10⁷ trials cost 10 MB. */
export const enum TrialCode {
  Pending = 0,
  Done = 1,
  Diverged = 2,
  Failed = 3,
  Timeout = 4,
  Cancelled = 5,
}

const CODE_OF: Readonly<Record<string, TrialCode>> = { done: TrialCode.Done, diverged: TrialCode.Diverged, failed: TrialCode.Failed, timeout: TrialCode.Timeout, cancelled: TrialCode.Cancelled };

/** What the coordinator persists per sweep in JetStream KV; everything else is derived from it and the RESULTS stream. */
export interface StoredSweep {
  id: string;
  name: string;
  yaml: string;
  sourceName: string;
  specHash: string;
  total: number;
  /** Trials [0, cursor) have been published to the work queue. */
  cursor: number;
  state: 'running' | 'done' | 'cancelled';
  maxAttempts: number;
  /** Incremented by RetryFailed; attempts of round r are numbered above r·maxAttempts. */
  retryRound: number;
  createdMs: number;
  updatedMs: number;
}

/**
 * Progress of one sweep, rebuilt from the RESULTS stream after a restart. Each trial's latest
 * final result decides its status, so duplicate deliveries never double-count, and a failed
 * result from before a RetryFailed round is ignored (the trial is pending again).
 */
export class SweepProgress {
  readonly codes: Uint8Array;
  private readonly counts = new Float64Array(6);

  constructor(public stored: StoredSweep) {
    this.codes = new Uint8Array(stored.total);
    this.counts[TrialCode.Pending] = stored.total;
  }

  /** Applies a final TrialResult; returns true if the sweep's counts changed. */
  apply(index: number, status: string, attempt: number): boolean {
    const code = CODE_OF[status];
    if (code === undefined || index < 0 || index >= this.codes.length) return false;
    const stale = (code === TrialCode.Failed || code === TrialCode.Timeout || code === TrialCode.Cancelled) && attempt <= this.stored.retryRound * this.stored.maxAttempts;
    if (stale) return false;
    const old = this.codes[index]! as TrialCode;
    if (old === code) return false;
    // A done/diverged result is final for good: a late duplicate of a failed attempt cannot undo it.
    if ((old === TrialCode.Done || old === TrialCode.Diverged) && code !== TrialCode.Done && code !== TrialCode.Diverged) return false;
    this.counts[old]--;
    this.counts[code]++;
    this.codes[index] = code;
    return true;
  }

  /** Indices to re-run in a RetryFailed round: final failures and timeouts. */
  retryable(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.codes.length; i++) if (this.codes[i] === TrialCode.Failed || this.codes[i] === TrialCode.Timeout) out.push(i);
    return out;
  }

  reset(indices: readonly number[]): void {
    for (const i of indices) {
      this.counts[this.codes[i]!]--;
      this.counts[TrialCode.Pending]++;
      this.codes[i] = TrialCode.Pending;
    }
  }

  get finished(): number {
    return this.stored.total - this.counts[TrialCode.Pending]!;
  }

  /** Trials published but without a final result: queued or running (results only exist below the cursor). */
  get inFlight(): number {
    return Math.max(0, this.stored.cursor - this.finished);
  }

  pendingBelowCursor(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.stored.cursor; i++) if (this.codes[i] === TrialCode.Pending) out.push(i);
    return out;
  }

  status(): SweepStatus {
    const s = this.stored;
    return {
      sweepId: s.id,
      name: s.name,
      state: s.state,
      total: s.total,
      dispatched: s.cursor,
      done: this.counts[TrialCode.Done]!,
      failed: this.counts[TrialCode.Failed]!,
      diverged: this.counts[TrialCode.Diverged]!,
      cancelled: this.counts[TrialCode.Cancelled]!,
      timeout: this.counts[TrialCode.Timeout]!,
      createdMs: s.createdMs,
      updatedMs: s.updatedMs,
      specHash: s.specHash,
    };
  }
}
