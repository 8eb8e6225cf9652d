import { describe, expect, it } from 'vitest';
import {
  businessScope,
  canManageBusiness,
  canSeeBusiness,
  isOperator,
  type Principal,
} from '../../src/auth/index.js';
import { asBusinessId, asUserId } from '../../src/ids.js';
import type { Role } from '../../src/store/index.js';

const A = asBusinessId('aaaaaaaa-0000-4000-8000-000000000001');
const B = asBusinessId('bbbbbbbb-0000-4000-8000-000000000002');
const user = (role: Role, businessId: typeof A | null): Principal => ({
  kind: 'user',
  user: {
    id: asUserId('u'),
    email: 'x@example.com',
    role,
    businessId,
    tokenVersion: 1,
    createdAt: new Date(),
    lastLoginAt: null,
  },
});

describe('who may see and change which business', () => {
  it('the API key and admins see and change every business', () => {
    for (const p of [{ kind: 'api-key' } as Principal, user('admin', null)]) {
      expect(isOperator(p)).toBe(true);
      expect(businessScope(p)).toBe('all');
      expect([canSeeBusiness(p, A), canSeeBusiness(p, B), canManageBusiness(p, B)]).toEqual([
        true,
        true,
        true,
      ]);
    }
  });

  it('an owner sees and changes their own business only', () => {
    const p = user('owner', A);
    expect(businessScope(p)).toBe(A);
    expect([canSeeBusiness(p, A), canManageBusiness(p, A)]).toEqual([true, true]);
    expect([canSeeBusiness(p, B), canManageBusiness(p, B)]).toEqual([false, false]);
  });

  it('an agent sees their own business and changes nothing', () => {
    const p = user('agent', A);
    expect([canSeeBusiness(p, A), canManageBusiness(p, A), canSeeBusiness(p, B)]).toEqual([
      true,
      false,
      false,
    ]);
  });
});
