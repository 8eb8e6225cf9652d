import type { BusinessId } from '../ids.js';
import type { User } from '../store/index.js';

/**
 * Who is asking. The API key is the operator's (every business, like an admin); a user sees
 * their own business only, unless an admin. Every route decides with these few functions, so
 * tenant isolation has one definition.
 */
export type Principal = { readonly kind: 'api-key' } | { readonly kind: 'user'; readonly user: User };

/** The API key and admins see and change every business. */
export function isOperator(p: Principal): boolean {
  return p.kind === 'api-key' || p.user.role === 'admin';
}

/** The businesses this principal may see: all, or exactly one. */
export function businessScope(p: Principal): 'all' | BusinessId {
  if (isOperator(p)) return 'all';
  return (p as { user: User }).user.businessId as BusinessId;
}

export function canSeeBusiness(p: Principal, businessId: string): boolean {
  const scope = businessScope(p);
  return scope === 'all' || scope === businessId;
}

/** Changing a business's settings, knowledge, users: its owner, or an operator. Agents only look. */
export function canManageBusiness(p: Principal, businessId: string): boolean {
  if (isOperator(p)) return true;
  return p.kind === 'user' && p.user.role === 'owner' && p.user.businessId === businessId;
}

/** For logs: never the email. */
export function principalLabel(p: Principal): string {
  return p.kind === 'api-key' ? 'api-key' : `user:${p.user.id}`;
}
