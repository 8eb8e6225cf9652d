import { asBusinessId, type BusinessId } from '../ids.js';
import {
  EmailTakenError,
  type BusinessesRepo,
  type Role,
  type User,
  type UsersRepo,
} from '../store/index.js';
import { decoyHash, hashPassword, passwordProblem, verifyPassword } from './passwords.js';

/**
 * Adding users and signing them in: the rules the admin API and the command line share.
 * Owners and agents belong to one business (default: the first, the demo); admins to none.
 */
export interface NewAccount {
  email: string;
  password: string;
  role: Role;
  businessId?: string | undefined;
}

/** Why an account was not added, said for a person. */
export class AccountError extends Error {
  constructor(
    readonly code: 'invalid' | 'email_taken' | 'no_business',
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export class Accounts {
  constructor(
    private readonly users: UsersRepo,
    private readonly businesses: BusinessesRepo,
  ) {}

  async add(input: NewAccount): Promise<User> {
    const email = input.email.trim();
    if (!EMAIL_RE.test(email) || email.length > 254)
      throw new AccountError('invalid', 'The email address is not valid.');
    const weak = passwordProblem(input.password);
    if (weak) throw new AccountError('invalid', `The password is not accepted: ${weak}.`);
    const businessId = input.role === 'admin' ? null : await this.businessFor(input.businessId);
    try {
      return await this.users.create({
        email,
        passwordHash: await hashPassword(input.password),
        role: input.role,
        businessId,
      });
    } catch (err) {
      if (err instanceof EmailTakenError)
        throw new AccountError('email_taken', 'A user with this email already exists.');
      throw err;
    }
  }

  /** The user, or undefined for an unknown email or a wrong password (told apart by nobody). */
  async login(email: string, password: string): Promise<User | undefined> {
    const found = await this.users.findForLogin(email);
    // An unknown email costs as much as a known one: timing does not tell which emails exist.
    const ok = await verifyPassword(password, found?.passwordHash ?? (await decoyHash()));
    if (!found || !ok) return undefined;
    await this.users.recordLogin(found.user.id);
    return found.user;
  }

  /** A new password after checking the current one; older sessions end. */
  async changePassword(user: User, current: string, next: string): Promise<boolean> {
    const found = await this.users.findForLogin(user.email);
    if (!found || !(await verifyPassword(current, found.passwordHash))) return false;
    const weak = passwordProblem(next);
    if (weak) throw new AccountError('invalid', `The new password is not accepted: ${weak}.`);
    return this.users.setPassword(user.id, await hashPassword(next));
  }

  private async businessFor(requested: string | undefined): Promise<BusinessId> {
    const all = await this.businesses.list();
    if (requested === undefined) {
      const first = all[0];
      if (!first) throw new AccountError('no_business', 'There is no business yet to add the user to.');
      return first.id;
    }
    const found = all.find((b) => b.id === requested);
    if (!found) throw new AccountError('no_business', `No business with id ${requested}.`);
    return asBusinessId(found.id);
  }
}
