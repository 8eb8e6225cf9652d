import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from '../../src/auth/index.js';

describe('password hashes (scrypt)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('salts every hash: the same password hashes differently twice', async () => {
    expect(await hashPassword('same password here')).not.toBe(await hashPassword('same password here'));
  });

  it('never throws on a stored value it cannot read, and never accepts it', async () => {
    for (const bad of [
      '',
      'plain',
      'scrypt$1$2$3',
      'scrypt$x$8$1$c2FsdA$aGFzaA',
      'bcrypt$a$b$c$d$e',
      'scrypt$1099511627776$8$1$c2FsdA$aGFzaA',
    ])
      expect(await verifyPassword('anything', bad)).toBe(false);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const hash = await hashPassword('caf\u00e9 au lait!!');
    expect(await verifyPassword('cafe\u0301 au lait!!', hash)).toBe(true);
  });

  it('asks for at least 10 characters and at most 200', () => {
    expect(passwordProblem('short')).toMatch(/at least 10/);
    expect(passwordProblem('x'.repeat(201))).toMatch(/at most 200/);
    expect(passwordProblem('long enough pass')).toBeUndefined();
  });
});
