import { Command, CommanderError, Option } from 'commander';
import { isCredoError } from '@credo/core';
import { ClusterCallError } from './cluster-error.js';
import { dropOutputWhenStdoutCloses } from './closed-stdout.js';
import type { ClusterOptions } from './commands/cluster.js';
import { OUTPUT_FORMATS } from './format.js';
import { choiceOption, DEFAULT_STORE, intOption, listOption, numberOption, paramsOption } from './options.js';

/**
 * The `credo` command. Usage errors (bad arguments, invalid sweep files, unknown names) print
 * one line and exit 2; operational failures exit 1; an interrupted run exits 130.
 */
export function buildProgram(): Command {
  // Every command's module loads on use: together they import gRPC, NATS, DuckDB, the rule
  // library and the plotting stack, which took ~0.35 s before any command could start.
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
      process.exitCode = await (await import('./commands/run.js')).runCommand(spec, o);
    });

  program
    .command('plan')
    .description('count the trials of a sweep and show the first ones; runs nothing')
    .argument('<spec>', 'sweep file (YAML)')
    .option('--limit <n>', 'trials to show', intOption('--limit', 0), 10)
    .addOption(formatOpt())
    .action(async (spec: string, o) => {
      process.exitCode = await (await import('./commands/plan.js')).planCommand(spec, o);
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
      process.exitCode = await (await import('./commands/top.js')).topCommand(sweep, o);
    });

  program
    .command('query')
    .description('read-only SQL against the store (tables: sweeps, trials, metrics)')
    .argument('<sql>', 'one SELECT statement')
    .addOption(storeOpt())
    .addOption(formatOpt())
    .action(async (sql: string, o) => {
      process.exitCode = await (await import('./commands/query.js')).queryCommand(sql, o);
    });

  program
    .command('curves')
    .description('learning curves: mean and 95% CI of a metric per step, one curve per group; --plot draws them')
    .argument('<sweep>', 'sweep id')
    .addOption(storeOpt())
    .option('--metric <name>', 'metric (default: the task score, e.g. test/error)')
    .option('--by <params>', 'comma-separated params, one curve per value (default: rule.name when several rules ran)', listOption)
    .option('--plot <file>', 'also draw the curves to FILE.svg or FILE.png')
    .option('--log', 'log-scale y axis (default: for losses and MSE)')
    .option('--no-log', 'linear y axis')
    .option('--include-diverged', 'also use the points of diverged trials')
    .addOption(formatOpt())
    .action(async (sweep: string, o) => {
      process.exitCode = await (await import('./commands/curves.js')).curvesCommand(sweep, o);
    });

  program
    .command('compare')
    .description('per configuration, seeds of A against seeds of B: means, sd, 95% CIs, difference B − A and a Mann–Whitney p-value')
    .argument('<sweepA>', 'sweep id of side A')
    .argument('[sweepB]', 'sweep id of side B (default: A again, split by --a and --b)')
    .addOption(storeOpt())
    .option('--metric <name>', 'metric (default: the task score of A, e.g. test/error)')
    .option('--by <params>', 'comma-separated params that define a configuration (default: the varied ones both sides have)', listOption)
    .option('--where <param=value,...>', 'only trials with these values, on both sides (repeatable)', paramsOption('--where'))
    .option('--a <param=value,...>', 'side A: only its trials with these values, e.g. rule.name=bp', paramsOption('--a'))
    .option('--b <param=value,...>', 'side B: only its trials with these values, e.g. rule.name=fa', paramsOption('--b'))
    .addOption(new Option('--mode <mode>', 'value per trial').argParser(choiceOption('--mode', ['last', 'best', 'min', 'max'] as const)).default('last'))
    .addOption(new Option('--better <dir>', 'which way the metric is better (default: from its name)').argParser(choiceOption('--better', ['lower', 'higher'] as const)))
    .addOption(formatOpt())
    .action(async (sweepA: string, sweepB: string | undefined, o) => {
      process.exitCode = await (await import('./commands/compare.js')).compareCommand(sweepA, sweepB, o);
    });

  program
    .command('export')
    .description('write every metric point of a sweep to CSV, Parquet or JSON lines')
    .argument('<sweep>', 'sweep id')
    .addOption(storeOpt())
    .addOption(new Option('--format <format>', 'file format').argParser(choiceOption('--format', ['csv', 'parquet', 'jsonl'] as const)).default('csv'))
    .option('--out <file>', 'output file (default: standard output)')
    .option('--metric <names>', 'comma-separated metric names (default: all)', listOption)
    .option('--status <statuses>', 'comma-separated trial statuses (default: all)', listOption)
    .action(async (sweep: string, o) => {
      process.exitCode = await (await import('./commands/export.js')).exportCommand(sweep, o);
    });

  program
    .command('report')
    .description('one self-contained HTML page: summary, leaderboard, learning curves, heatmap, diagnostics')
    .argument('<sweep>', 'sweep id')
    .addOption(storeOpt())
    .option('--out <file>', 'HTML file to write (default: SWEEP-report.html)')
    .option('--metric <name>', 'metric of the leaderboard and heatmap (default: the task score)')
    .addOption(new Option('--better <dir>', 'which way the metric is better (default: from its name)').argParser(choiceOption('--better', ['lower', 'higher'] as const)))
    .addOption(new Option('--mode <mode>', 'value per trial').argParser(choiceOption('--mode', ['last', 'best', 'min', 'max'] as const)).default('last'))
    .option('--by <params>', 'comma-separated params, one curve per value (default: the varied ones)', listOption)
    .option('--heatmap <x,y>', 'the two parameters of the heatmap', listOption)
    .option('--figures <dir>', 'also write every figure as SVG and PNG into DIR')
    .action(async (sweep: string, o) => {
      process.exitCode = await (await import('./commands/report.js')).reportCommand(sweep, o);
    });

  const regress = program.command('regress').description('nightly regression suite: run, accept a baseline, history');
  regress
    .command('run')
    .description('run a suite (e.g. regress/nightly.yaml) here, judge every benchmark over seeds, write reports; exit 1 on a regression')
    .argument('<suite>', 'suite file (YAML)')
    .addOption(storeOpt())
    .option('--commit <sha>', 'the code under test (default: $GITHUB_SHA or git rev-parse HEAD)')
    .option('--ref <name>', 'branch or tag (default: $GITHUB_REF_NAME or the current branch)')
    .option('--baseline <ref>', 'compare with this run id or commit instead of the newest accepted run')
    .option('--date <yyyy-mm-dd>', 'the night the run belongs to (default: today, UTC)')
    .option('--set <override>', 'override a parameter for this run only, e.g. fa:rule.scale=0.000001 (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--out-dir <dir>', 'where report.md, report.html and trend plots go (default: regress-reports/RUN)')
    .option('--workers <n>', 'worker threads (default: number of cores)', intOption('--workers', 1))
    .action(async (suite: string, o) => {
      process.exitCode = await (await import('./commands/regress.js')).regressRunCommand(suite, o);
    });
  regress
    .command('accept')
    .description('make a run (default: the newest) the baseline later runs are compared with')
    .argument('<suite>', 'suite file or name')
    .addOption(storeOpt())
    .option('--run <id>', 'the run to accept')
    .option('--note <text>', 'why (kept with the run)')
    .action(async (suite: string, o) => {
      process.exitCode = await (await import('./commands/regress.js')).regressAcceptCommand(suite, o);
    });
  regress
    .command('history')
    .description('past runs of a suite and their per-benchmark results, newest first')
    .argument('<suite>', 'suite file or name')
    .addOption(storeOpt())
    .option('--benchmark <text>', 'only benchmarks whose id contains TEXT')
    .option('--limit <n>', 'runs to show', intOption('--limit', 1), 20)
    .addOption(formatOpt())
    .action(async (suite: string, o) => {
      process.exitCode = await (await import('./commands/regress.js')).regressHistoryCommand(suite, o);
    });

  program
    .command('rules')
    .description('list every registered task, model, rule and optimizer with its parameters')
    .addOption(formatOpt())
    .action(async (o) => {
      process.exitCode = (await import('./commands/rules.js')).rulesCommand(o);
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
        process.exitCode = await (await import('./commands/cluster.js')).runService(name, flags);
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
      process.exitCode = await (await import('./commands/cluster.js')).submitCommand(spec, o);
    });
  clusterOpts(program.command('watch').description('live progress of a cluster sweep').argument('<sweep>', 'sweep id'))
    .option('--no-progress', 'print only the final status')
    .action(async (sweep: string, o) => {
      process.exitCode = await (await import('./commands/cluster.js')).watchCommand(sweep, o);
    });
  clusterOpts(program.command('status').description('status of a cluster sweep').argument('<sweep>', 'sweep id'))
    .addOption(formatOpt())
    .action(async (sweep: string, o) => {
      process.exitCode = await (await import('./commands/cluster.js')).statusCommand(sweep, o);
    });
  clusterOpts(program.command('list').description('sweeps known to the coordinator'))
    .addOption(formatOpt())
    .action(async (o: ClusterOptions & { format: 'table' }) => {
      process.exitCode = await (await import('./commands/cluster.js')).listCommand(o);
    });
  clusterOpts(program.command('cancel').description('stop feeding and running a cluster sweep').argument('<sweep>', 'sweep id')).action(async (sweep: string, o) => {
    process.exitCode = await (await import('./commands/cluster.js')).cancelCommand(sweep, o);
  });
  clusterOpts(program.command('retry-failed').description('re-run exactly the failed trials of a cluster sweep').argument('<sweep>', 'sweep id')).action(async (sweep: string, o) => {
    process.exitCode = await (await import('./commands/cluster.js')).retryFailedCommand(sweep, o);
  });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  dropOutputWhenStdoutCloses();
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
