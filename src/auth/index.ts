export {
  decoyHash,
  hashPassword,
  passwordProblem,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from './passwords.js';
export { SessionTokens, type SessionClaims } from './session-tokens.js';
export {
  businessScope,
  canManageBusiness,
  canSeeBusiness,
  isOperator,
  principalLabel,
  type Principal,
} from './principal.js';
export { AccountError, Accounts, type NewAccount } from './accounts.js';
