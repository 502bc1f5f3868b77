import { readFileSync } from 'node:fs';

/**
 * Resident set size of a process in bytes (VmRSS of /proc/PID/status), or undefined if it is
 * gone: what the soak and the coordinator-memory benchmark watch.
 *
 * @example
 * ```ts
 * const mb = (rssBytes(child.pid) ?? 0) / 2 ** 20;
 * ```
 */
export function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * User + system CPU seconds a process (all its threads) has used so far, from /proc/PID/stat,
 * or undefined if it is gone: benchmarks report it to say which process limits a rate.
 *
 * @example
 * ```ts
 * const c0 = cpuSecondsOf(pid) ?? 0; await work(); const used = (cpuSecondsOf(pid) ?? 0) - c0;
 * ```
 */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
