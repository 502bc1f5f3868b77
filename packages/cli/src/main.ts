import { Command, CommanderError, Option } from 'commander';
import { isCredoError } from '@credo/core';
import {
  cancelCommand, ClusterCallError, listCommand, retryFailedCommand, runService, statusCommand, submitCommand, watchCommand, type ClusterOptions,
} from './commands/cluster.js';
import { planCommand } from './commands/plan.js';
import { queryCommand } from './commands/query.js';
import { rulesCommand } from './commands/rules.js';
import { runCommand } from './commands/run.js';
import { topCommand } from './commands/top.js';
import { OUTPUT_FORMATS } from './format.js';
import { choiceOption, DEFAULT_STORE, intOption, listOption, numberOption } from './options.js';

/**
 * The `credo` command. Usage errors (bad arguments, invalid sweep files, unknown names) print
 * one line and exit 2; operational failures exit 1; an interrupted run exits 130.
 */
export function buildProgram(): Command {
  const program = new Command('credo')
    .description('Parameter sweeps of credit-assignment learning rules, on a laptop or a cluster')
    .version('0.1.0')
    .showHelpAfterError('(run credo --help for usage)')
    .exitOverride();
  const storeOpt = (): Option => new Option('--store <path>', 'DuckDB store file, or clickhouse://user:password@host:8123/database').default(DEFAULT_STORE);
  const formatOpt = (): Option => new Option('--format <format>', 'output format').argParser(choiceOption('--format', OUTPUT_FORMATS)).default('table');

  program
    .command('run')
    .description('run a sweep on this machine and print its leaderboard (re-running resumes)')
    .argument('<spec>', 'sweep file (YAML)')
    .addOption(storeOpt())
    .option('--workers <n>', 'worker threads (default: number of cores)', intOption('--workers', 1))
    .option('--timeout <seconds>', 'per-trial time limit, overriding the spec (0 = none)', numberOption('--timeout', 0))
    .option('--no-progress', 'no progress bar')
    .action(async (spec: string, o) => {
      process.exitCode = await runCommand(spec, o);
    });

  program
    .command('plan')
    .description('count the trials of a sweep and show the first ones; runs nothing')
    .argument('<spec>', 'sweep file (YAML)')
    .option('--limit <n>', 'trials to show', intOption('--limit', 0), 10)
    .addOption(formatOpt())
    .action(async (spec: string, o) => {
      process.exitCode = await planCommand(spec, o);
    });

  program
    .command('top')
    .description('leaderboard: per configuration, mean, sd and 95% CI over seeds of a metric')
    .argument('<sweep>', 'sweep id')
    .addOption(storeOpt())
    .option('--metric <name>', 'metric (default: the task score, e.g. test/error)')
    .option('--by <params>', 'comma-separated params to group by (default: the ones that vary)', listOption)
    .addOption(new Option('--mode <mode>', 'value per trial').argParser(choiceOption('--mode', ['last', 'min', 'max'] as const)).default('last'))
    .addOption(new Option('--order <order>', 'sort by mean').argParser(choiceOption('--order', ['asc', 'desc'] as const)).default('asc'))
    .addOption(formatOpt())
    .action(async (sweep: string, o) => {
      process.exitCode = await topCommand(sweep, o);
    });

  program
    .command('query')
    .description('read-only SQL against the store (tables: sweeps, trials, metrics)')
    .argument('<sql>', 'one SELECT statement')
    .addOption(storeOpt())
    .addOption(formatOpt())
    .action(async (sql: string, o) => {
      process.exitCode = await queryCommand(sql, o);
    });

  program
    .command('rules')
    .description('list every registered task, model, rule and optimizer with its parameters')
    .addOption(formatOpt())
    .action((o) => {
      process.exitCode = rulesCommand(o);
    });

  for (const name of ['coordinator', 'worker', 'ingester'] as const) {
    program
      .command(name)
      .description(`run the ${name} service (credo ${name} --help lists its flags; env CREDO_* works too)`)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[flags...]')
      .action(async (flags: string[]) => {
        process.exitCode = await runService(name, flags);
      });
  }

  const clusterOpts = (c: Command): Command =>
    c
      .option('--coordinator <address>', 'coordinator host:port', process.env['CREDO_COORDINATOR'] ?? '127.0.0.1:50051')
      .option('--token <token>', 'bearer token (default: CREDO_TOKEN)')
      .option('--token-file <file>', 'read the bearer token from a file')
      .option('--ca <file>', 'PEM CA certificate: connect with TLS');

  clusterOpts(program.command('submit').description('submit a sweep to the cluster coordinator').argument('<spec>', 'sweep file (YAML)'))
    .option('--max-attempts <n>', 'attempts per trial before it counts as failed', intOption('--max-attempts', 1))
    .option('--watch', 'then show live progress until the sweep ends', false)
    .action(async (spec: string, o) => {
      process.exitCode = await submitCommand(spec, o);
    });
  clusterOpts(program.command('watch').description('live progress of a cluster sweep').argument('<sweep>', 'sweep id'))
    .option('--no-progress', 'print only the final status')
    .action(async (sweep: string, o) => {
      process.exitCode = await watchCommand(sweep, o);
    });
  clusterOpts(program.command('status').description('status of a cluster sweep').argument('<sweep>', 'sweep id'))
    .addOption(formatOpt())
    .action(async (sweep: string, o) => {
      process.exitCode = await statusCommand(sweep, o);
    });
  clusterOpts(program.command('list').description('sweeps known to the coordinator'))
    .addOption(formatOpt())
    .action(async (o: ClusterOptions & { format: 'table' }) => {
      process.exitCode = await listCommand(o);
    });
  clusterOpts(program.command('cancel').description('stop feeding and running a cluster sweep').argument('<sweep>', 'sweep id')).action(async (sweep: string, o) => {
    process.exitCode = await cancelCommand(sweep, o);
  });
  clusterOpts(program.command('retry-failed').description('re-run exactly the failed trials of a cluster sweep').argument('<sweep>', 'sweep id')).action(async (sweep: string, o) => {
    process.exitCode = await retryFailedCommand(sweep, o);
  });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every other commander complaint is a usage error.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof ClusterCallError) {
      process.stderr.write(`credo: error: ${e.message}\n`);
      return e.exitCode;
    }
    if (isCredoError(e)) {
      process.stderr.write(`credo: error: ${e.message}\n`);
      return e.isUsageError ? 2 : 1;
    }
    process.stderr.write(`credo: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
