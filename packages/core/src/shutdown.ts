/**
 * Resolves on the first SIGINT/SIGTERM, or when the parent that started this process through
 * an IPC channel goes away (`credo worker` etc.). A terminal's Ctrl-C reaches both the CLI and
 * the service it forwards to, so a repeat within `graceMs` is the same request and is ignored;
 * a later one means "quit now" and exits with 130.
 *
 * The IPC channel is unref'd: it must not keep a finished service alive.
 *
 * @example
 * ```ts
 * const why = await shutdownRequested();
 * log.info('draining', { signal: why });
 * ```
 */
export function shutdownRequested(graceMs = 1000): Promise<string> {
  process.channel?.unref();
  return new Promise((resolve) => {
    let first = 0;
    const on = (why: string) => (): void => {
      const now = Date.now();
      if (first === 0) {
        first = now;
        resolve(why);
      } else if (now - first > graceMs) {
        process.exit(130);
      }
    };
    process.on('SIGINT', on('SIGINT'));
    process.on('SIGTERM', on('SIGTERM'));
    process.once('disconnect', on('parent exited'));
  });
}
