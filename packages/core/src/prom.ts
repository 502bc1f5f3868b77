/**
 * A minimal Prometheus text-format registry: the services expose queued/running/done/failed
 * trials, ingest rows and lag on `/metrics` without another dependency.
 *
 * @example
 * ```ts
 * const reg = new PromRegistry();
 * const done = reg.counter('credo_trials_done_total', 'trials finished by this agent');
 * done.inc({ status: 'done' });
 * reg.render(); // "# HELP credo_trials_done_total ...\ncredo_trials_done_total{status=\"done\"} 1\n"
 * ```
 */
export class PromRegistry {
  private readonly metrics = new Map<string, { help: string; type: 'counter' | 'gauge'; values: Map<string, number> }>();

  counter(name: string, help: string): { inc(labels?: Record<string, string>, by?: number): void } {
    const m = this.define(name, help, 'counter');
    return { inc: (labels = {}, by = 1) => m.values.set(key(labels), (m.values.get(key(labels)) ?? 0) + by) };
  }

  gauge(name: string, help: string): { set(value: number, labels?: Record<string, string>): void } {
    const m = this.define(name, help, 'gauge');
    return { set: (value, labels = {}) => m.values.set(key(labels), value) };
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, m] of this.metrics) {
      lines.push(`# HELP ${name} ${m.help}`, `# TYPE ${name} ${m.type}`);
      for (const [labels, v] of m.values) lines.push(`${name}${labels} ${Number.isFinite(v) ? v : 'NaN'}`);
    }
    return lines.join('\n') + '\n';
  }

  private define(name: string, help: string, type: 'counter' | 'gauge') {
    let m = this.metrics.get(name);
    if (!m) {
      m = { help, type, values: new Map() };
      this.metrics.set(name, m);
    }
    return m;
  }
}

function key(labels: Record<string, string>): string {
  const ks = Object.keys(labels).sort();
  if (!ks.length) return '';
  return `{${ks.map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`;
}
