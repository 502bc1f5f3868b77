import { main } from './main.js';

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // Operational failures at start (NATS or ClickHouse unreachable, …) end with one line, not a stack.
  process.stderr.write(`credo ingester: error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
