let installed = false;

/**
 * Makes `credo … | head` end quietly: when the reader of standard output goes away, writing
 * fails with EPIPE, which Node reports as an unhandled 'error' event that kills the process with
 * a stack trace. Instead, further output is dropped and the command finishes normally (a
 * running sweep still records its trials and closes its store), exiting with its usual code.
 * Other stdout errors are left to crash loudly. Installs once per process.
 *
 * @example
 * ```ts
 * dropOutputWhenStdoutCloses();
 * process.stdout.write(hugeTable); // `credo plan big.yaml --limit 1000000 | head` exits 0, silently
 * ```
 */
export function dropOutputWhenStdoutCloses(): void {
  if (installed) return;
  installed = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    // Later writes would fail the same way (and some callers await their callback): accept and discard.
    process.stdout.write = ((_chunk: unknown, encodingOrCb?: unknown, cb?: unknown): boolean => {
      const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof process.stdout.write;
  });
}
