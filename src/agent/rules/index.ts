export { RulesBrain, type RulesBrainOptions } from './rules-brain.js';
