import { DENDRITIC_BP_INFO, DENDRITIC_INFO, dendriticBpRule, dendriticModel, GUERGUIEV_INFO, guerguievRule } from './dendritic/index.js';
import { MLP_INFO, mlpModel } from './models/mlp.js';
import { SGD_INFO, sgdOptimizer } from './optimizers/sgd.js';
import { modelRegistry, optimizerRegistry, ruleRegistry } from './registries.js';
import { BP_INFO, bpRule } from './rules/bp.js';
import { DFA_INFO, dfaRule } from './rules/dfa.js';
import { FA_INFO, faRule } from './rules/fa.js';
import { BRSF_INFO, brsfRule } from './rules/brsf.js';
import { FRSF_INFO, frsfRule } from './rules/frsf.js';
import { KP_INFO, kpRule } from './rules/kp.js';
import { PBP_INFO, pbpRule } from './rules/pbp.js';
import { SHALLOW_INFO, shallowRule } from './rules/shallow.js';
import { USF_INFO, usfRule } from './rules/usf.js';
import { WM_INFO, wmRule } from './rules/wm.js';
import { ADAM_INFO, adamOptimizer } from './optimizers/adam.js';
import { MOMENTUM_INFO, momentumOptimizer } from './optimizers/momentum.js';
import { INFLUENCE_CHAIN_INFO, influenceChainModel } from './models/influence-chain.js';
import { RNN_INFO, rnnModel } from './models/rnn.js';
import { BPTT_INFO, bpttRule } from './rules/bptt.js';
import { RFLO_INFO, rfloRule } from './rules/rflo.js';
import { RTRL_INFO, rtrlRule } from './rules/rtrl.js';
import { SAB_INFO, sabRule } from './rules/sab.js';
import { TBPTT_INFO, tbpttRule } from './rules/tbptt.js';
import { UORO_INFO, uoroRule } from './rules/uoro.js';

// Runs once, when the package is first imported; a second copy of the module (two installs of the
// package) would have its own registries, so guard by name rather than assume.
if (!modelRegistry.has(MLP_INFO.name)) modelRegistry.register(MLP_INFO, mlpModel);
if (!ruleRegistry.has(BP_INFO.name)) ruleRegistry.register(BP_INFO, bpRule);
if (!ruleRegistry.has(FA_INFO.name)) ruleRegistry.register(FA_INFO, faRule);
if (!ruleRegistry.has(DFA_INFO.name)) ruleRegistry.register(DFA_INFO, dfaRule);
if (!ruleRegistry.has(PBP_INFO.name)) ruleRegistry.register(PBP_INFO, pbpRule);
if (!ruleRegistry.has(SHALLOW_INFO.name)) ruleRegistry.register(SHALLOW_INFO, shallowRule);
if (!ruleRegistry.has(USF_INFO.name)) ruleRegistry.register(USF_INFO, usfRule);
if (!ruleRegistry.has(FRSF_INFO.name)) ruleRegistry.register(FRSF_INFO, frsfRule);
if (!ruleRegistry.has(BRSF_INFO.name)) ruleRegistry.register(BRSF_INFO, brsfRule);
if (!ruleRegistry.has(KP_INFO.name)) ruleRegistry.register(KP_INFO, kpRule);
if (!ruleRegistry.has(WM_INFO.name)) ruleRegistry.register(WM_INFO, wmRule);
if (!optimizerRegistry.has(SGD_INFO.name)) optimizerRegistry.register(SGD_INFO, sgdOptimizer);
if (!optimizerRegistry.has(MOMENTUM_INFO.name)) optimizerRegistry.register(MOMENTUM_INFO, momentumOptimizer);
if (!optimizerRegistry.has(ADAM_INFO.name)) optimizerRegistry.register(ADAM_INFO, adamOptimizer);
if (!modelRegistry.has(DENDRITIC_INFO.name)) modelRegistry.register(DENDRITIC_INFO, dendriticModel);
if (!ruleRegistry.has(GUERGUIEV_INFO.name)) ruleRegistry.register(GUERGUIEV_INFO, guerguievRule);
if (!ruleRegistry.has(DENDRITIC_BP_INFO.name)) ruleRegistry.register(DENDRITIC_BP_INFO, dendriticBpRule);
// Temporal credit assignment (issue 4): sequence models and the rules that train them.
if (!modelRegistry.has(RNN_INFO.name)) modelRegistry.register(RNN_INFO, rnnModel);
if (!modelRegistry.has(INFLUENCE_CHAIN_INFO.name)) modelRegistry.register(INFLUENCE_CHAIN_INFO, influenceChainModel);
for (const [info, impl] of [
  [BPTT_INFO, bpttRule], [TBPTT_INFO, tbpttRule], [RTRL_INFO, rtrlRule], [UORO_INFO, uoroRule], [RFLO_INFO, rfloRule], [SAB_INFO, sabRule],
] as const) {
  if (!ruleRegistry.has(info.name)) ruleRegistry.register(info, impl);
}
