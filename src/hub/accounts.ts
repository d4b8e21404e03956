import type { Clock } from '../common/clock.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js';
import type { AccountRow, HubRepository } from './repository.js';
import { setQuota } from './quotas.js';

export { DEFAULT_DOMAIN } from '../common/defaults.js';
const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const LOCKOUT_FAILURES = 10;
const LOCKOUT_WINDOW_MS = 10 * 60_000;

export class AccountError extends Error {
  constructor(
    readonly code: 'not_found' | 'wrong_password' | 'locked' | 'bad_request' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The wrong passwords the lockout counts, per account name: in this process's memory by default, in the database
 * when several hub processes share one (src/hub/postgres-cluster.ts), so that a guesser gains nothing by spreading
 * attempts over them.
 */
export interface LoginFailureLog {
  /** How many failures of `name` happened after `since`. */
  count(name: string, since: number): Promise<number>;
  /** Notes a failure of `name` at `at`, forgetting those at or before `forgetBefore`. */
  record(name: string, at: number, forgetBefore: number): Promise<void>;
  clear(name: string): Promise<void>;
}

/** The failures kept in this process: no more than one window's worth per name. */
export class MemoryLoginFailures implements LoginFailureLog {
  private readonly failures = new Map<string, number[]>();

  async count(name: string, since: number): Promise<number> {
    return (this.failures.get(name) ?? []).filter((at) => at > since).length;
  }

  async record(name: string, at: number, forgetBefore: number): Promise<void> {
    const recent = (this.failures.get(name) ?? []).filter((when) => when > forgetBefore);
    recent.push(at);
    this.failures.set(name, recent);
  }

  async clear(name: string): Promise<void> {
    this.failures.delete(name);
  }
}

export interface AccountView {
  peerId: string;
  name: string;
  displayName: string;
  fileTransfer: boolean;
  locked: boolean;
  createdAt: number;
}

/**
 * The hub's accounts: TrueConf IDs `name@domain`, scrypt-hashed passwords, display names, and the per-account
 * policy flags. Repeated wrong passwords lock an account for a while, whoever tries them.
 */
export class Accounts {
  constructor(
    private readonly repo: HubRepository,
    readonly domain: string,
    private readonly clock: Clock,
    private readonly failures: LoginFailureLog = new MemoryLoginFailures(),
    /** How long wrong passwords count towards the lock (`roomfiles hub --login-lock-window`). */
    private readonly lockWindowMs = LOCKOUT_WINDOW_MS,
  ) {}

  peerIdOf(name: string): string {
    return `${name}@${this.domain}`;
  }

  /** `alice`, `alice@files.local` and `Alice@FILES.local` name the same account; another domain names none. */
  nameOf(login: string): string | null {
    const trimmed = login.trim().toLowerCase();
    const at = trimmed.lastIndexOf('@');
    if (at === -1) return trimmed;
    if (trimmed.slice(at + 1) !== this.domain.toLowerCase()) return null;
    return trimmed.slice(0, at);
  }

  view(account: AccountRow): AccountView {
    return {
      peerId: this.peerIdOf(account.name),
      name: account.name,
      displayName: account.displayName,
      fileTransfer: account.fileTransfer,
      locked: account.locked,
      createdAt: account.createdAt,
    };
  }

  async find(login: string): Promise<AccountRow | undefined> {
    const name = this.nameOf(login);
    return name === null ? undefined : this.repo.getAccount(name);
  }

  async list(): Promise<AccountView[]> {
    return (await this.repo.listAccounts()).map((account) => this.view(account));
  }

  async add(
    name: string,
    password: string,
    options: { displayName?: string; fileTransfer?: boolean } = {},
  ): Promise<AccountView> {
    const local = this.nameOf(name);
    if (local === null || !NAME_PATTERN.test(local)) {
      throw new AccountError(
        'bad_request',
        `"${name}" is not a valid account name: use lower-case letters, digits, dot, dash or underscore`,
      );
    }
    if (password.length < 1) throw new AccountError('bad_request', 'the password must not be empty');
    const account: AccountRow = {
      name: local,
      displayName: options.displayName?.trim() || local.charAt(0).toUpperCase() + local.slice(1),
      passwordHash: await hashPassword(password),
      fileTransfer: options.fileTransfer ?? true,
      locked: false,
      createdAt: this.clock.now(),
    };
    if (!(await this.repo.addAccount(account))) {
      throw new AccountError('conflict', `account ${this.peerIdOf(local)} already exists`);
    }
    return this.view(account);
  }

  async remove(name: string): Promise<void> {
    const local = this.nameOf(name);
    if (local === null || !(await this.repo.removeAccount(local))) {
      throw new AccountError('not_found', `account ${name} does not exist`);
    }
  }

  async update(
    name: string,
    changes: {
      password?: string;
      displayName?: string;
      fileTransfer?: boolean;
      locked?: boolean;
      /** Bytes the account may hold at the hub (src/hub/quotas.ts). */
      quota?: number;
    },
  ): Promise<AccountView> {
    const local = this.nameOf(name);
    if (changes.password !== undefined && changes.password.length < 1) {
      throw new AccountError('bad_request', 'the password must not be empty');
    }
    const displayName = changes.displayName?.trim();
    if (displayName === '') throw new AccountError('bad_request', 'the display name must not be empty');
    const passwordHash = changes.password !== undefined ? await hashPassword(changes.password) : undefined;
    const ok =
      local !== null &&
      (await this.repo.updateAccount(local, {
        passwordHash,
        displayName,
        fileTransfer: changes.fileTransfer,
        locked: changes.locked,
      }));
    if (!ok || local === null) throw new AccountError('not_found', `account ${name} does not exist`);
    if (changes.locked === false) await this.failures.clear(local);
    if (changes.quota !== undefined) await setQuota(this.repo, local, changes.quota);
    return this.view((await this.repo.getAccount(local))!);
  }

  /** Checks a login; the time taken does not tell whether the account exists. */
  async authenticate(login: string, password: string): Promise<AccountRow> {
    const account = await this.find(login);
    if (!account) {
      await verifyPassword(password, await dummyPasswordHash());
      throw new AccountError('not_found', `no account ${login}`);
    }
    if (account.locked || (await this.temporarilyLocked(account.name))) {
      throw new AccountError('locked', `account ${this.peerIdOf(account.name)} is locked`);
    }
    if (!(await verifyPassword(password, account.passwordHash))) {
      await this.recordFailure(account.name);
      throw new AccountError('wrong_password', 'wrong login or password');
    }
    await this.failures.clear(account.name);
    return account;
  }

  private async temporarilyLocked(name: string): Promise<boolean> {
    const since = this.clock.now() - this.lockWindowMs;
    return (await this.failures.count(name, since)) >= LOCKOUT_FAILURES;
  }

  private recordFailure(name: string): Promise<void> {
    const now = this.clock.now();
    return this.failures.record(name, now, now - this.lockWindowMs);
  }
}
