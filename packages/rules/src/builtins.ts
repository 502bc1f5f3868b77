import { MLP_INFO, mlpModel } from './models/mlp.js';
import { SGD_INFO, sgdOptimizer } from './optimizers/sgd.js';
import { modelRegistry, optimizerRegistry, ruleRegistry } from './registries.js';
import { BP_INFO, bpRule } from './rules/bp.js';
import { DFA_INFO, dfaRule } from './rules/dfa.js';
import { FA_INFO, faRule } from './rules/fa.js';

// Runs once, when the package is first imported; a second copy of the module (two installs of the
// package) would have its own registries, so guard by name rather than assume.
if (!modelRegistry.has(MLP_INFO.name)) modelRegistry.register(MLP_INFO, mlpModel);
if (!ruleRegistry.has(BP_INFO.name)) ruleRegistry.register(BP_INFO, bpRule);
if (!ruleRegistry.has(FA_INFO.name)) ruleRegistry.register(FA_INFO, faRule);
if (!ruleRegistry.has(DFA_INFO.name)) ruleRegistry.register(DFA_INFO, dfaRule);
if (!optimizerRegistry.has(SGD_INFO.name)) optimizerRegistry.register(SGD_INFO, sgdOptimizer);
