export { RulesBrain } from './rules-brain.js';
