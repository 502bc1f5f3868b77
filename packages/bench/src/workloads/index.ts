import type { Workload } from '../workload.js';
import { clusterFirstTrialWorkload } from './cluster-first-trial.js';
import { clusterIngestWorkload } from './cluster-ingest.js';
import { clusterNoopWorkload } from './cluster-noop.js';
import { curvesClickHouseWorkload } from './curves-clickhouse.js';
import { dendriticWorkload } from './dendritic.js';
import { gemmWorkload } from './gemm.js';
import { metricLoggingWorkload } from './metric-logging.js';
import { mlpAccuracyWorkload } from './mlp-accuracy.js';
import { mlpTrainWorkload } from './mlp-train.js';
import { rnnBpttWorkload } from './rnn-bptt.js';
import { rnnRtrlWorkload } from './rnn-rtrl.js';
import { rnnUoroWorkload } from './rnn-uoro.js';

/** Every benchmark group, in the order `npm run bench` runs them. */
export const WORKLOADS: readonly Workload[] = [gemmWorkload, mlpTrainWorkload, mlpAccuracyWorkload, dendriticWorkload, rnnBpttWorkload, rnnRtrlWorkload, rnnUoroWorkload, clusterNoopWorkload, clusterIngestWorkload, clusterFirstTrialWorkload, metricLoggingWorkload, curvesClickHouseWorkload];
