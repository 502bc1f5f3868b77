/**
 * @module @credo/core
 * Shared vocabulary of credo: errors with codes, the parameter-schema language, trial and
 * metric types, canonical JSON and hashing. No I/O, no dependencies.
 */
export { CredoError, isCredoError, showValue, type CredoErrorCode, type CredoErrorData } from './errors.js';
export { canonicalJson, hashKey, deepFreeze } from './canonical.js';
export {
  checkParam, describeAllowed, isListParam, resolveParams,
  type ParamDef, type ParamSchema, type ParamValue, type Params,
} from './params.js';
export {
  COMPONENT_KINDS, FINAL_STATUSES, TRAIN_SCHEMA,
  type ComponentConfig, type ComponentKind, type MetricPoint, type TrainConfig, type TrialConfig, type TrialStatus,
} from './trial.js';
export type { Catalog, ComponentInfo } from './catalog.js';
export { jsonLogger, maskUrlPassword, redact, type Logger, type LogLevel } from './log.js';
export { PromRegistry } from './prom.js';
export { envName, flagName, parseServiceConfig } from './service-config.js';
export { shutdownRequested } from './shutdown.js';
