/**
 * Accounts (one API key each) as the renderer sees them: key status (never the
 * key: only `isSet`, the last 4 characters and where it lives), health, scope,
 * discovery and history import. Main pushes the whole AccountsState on every
 * change (`accounts` event), so import progress simply arrives here.
 */
import type { Account, AccountsState as AccountsSnapshot, SaveAccount } from '../../../src-shared/accounts';
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { ProviderId } from '../../../src-shared/job';
import type { Result } from '../../../src-shared/result';
import { errorMessage, settle } from './ipc';
import { HEALTH_SHORT, KEY_SOURCE_TEXT, type HealthState, type Scope } from './labels';

export type Notice = { tone: 'ok' | 'error'; text: string };

/** An account problem worth a banner. */
export type AccountAlert = {
  provider: ProviderId;
  accountId: string;
  label: string | null;
  state: Exclude<HealthState, 'ok'>;
  message: string | null;
};

/** Busy/notice slot of one account, or of a provider's "add account" form. */
export function slotOf(provider: ProviderId, accountId: string | null): string {
  return accountId === null ? `${provider}:+new` : `${provider}:${accountId}`;
}

export function keyStatusText(account: Pick<Account, 'provider' | 'key'> | null | undefined): string {
  if (!account || !account.key.isSet) return 'No key set';
  if (account.key.source === 'demo') return 'Demo key · demo emulator';
  const tail = account.key.last4 ? ` (…${account.key.last4})` : '';
  const where = account.key.source ? ` · ${KEY_SOURCE_TEXT[account.key.source](account.provider)}` : '';
  return `Key set${tail}${where}`;
}

export function healthText(account: Pick<Account, 'health'>): string {
  return account.health.message ?? HEALTH_SHORT[account.health.state];
}

function labelMap(accounts: readonly Account[]): ReadonlyMap<string, string> {
  return new Map(accounts.map((a) => [`${a.provider}:${a.id}`, a.label]));
}

export class AccountsState {
  readonly #bridge: GenwatchApi;

  snapshot = $state<AccountsSnapshot | null>(null);
  loadError = $state<string | null>(null);
  busy = $state<Record<string, boolean>>({});
  notice = $state<Record<string, Notice | null>>({});

  constructor(bridge: GenwatchApi) {
    this.#bridge = bridge;
  }

  readonly loaded: boolean = $derived(this.snapshot !== null);
  readonly list: Account[] = $derived(this.snapshot?.accounts ?? []);
  readonly keychain = $derived(this.snapshot?.keychain ?? { available: true, message: null });

  /** `provider:accountId` → label, for the job list, filters and credits. */
  readonly labels: ReadonlyMap<string, string> = $derived(labelMap(this.list));

  forProvider(provider: ProviderId): Account[] {
    return this.list.filter((a) => a.provider === provider);
  }

  /** The user's own accounts (not the emulator's demo one). */
  userAccounts(provider: ProviderId): Account[] {
    return this.list.filter((a) => a.provider === provider && !a.demo);
  }

  /** "Personal" for a known account, else its id. */
  label(provider: ProviderId, accountId: string): string {
    return this.labels.get(`${provider}:${accountId}`) ?? accountId;
  }

  /** Problems to show as banners. "Key missing" is expected in demo mode and on the demo account. */
  alerts(demoMode: boolean): AccountAlert[] {
    const several = (p: ProviderId) => this.userAccounts(p).length > 1;
    return this.list.flatMap((a) => {
      const state = a.health.state;
      if (state === 'ok' || a.demo || (state === 'key-missing' && demoMode)) return [];
      return [{ provider: a.provider, accountId: a.id, label: several(a.provider) ? a.label : null, state, message: a.health.message }];
    });
  }

  start(): () => void {
    const off = this.#bridge.on('accounts', (snapshot) => {
      this.snapshot = snapshot;
    });
    void this.load();
    return off;
  }

  async load(): Promise<void> {
    const result = await settle(() => this.#bridge.listAccounts({}));
    if (!result.ok) {
      this.loadError = errorMessage(result.error);
      return;
    }
    this.snapshot = result.value;
    this.loadError = null;
  }

  /** New account. The key goes straight to main; nothing here keeps it. */
  async create(provider: ProviderId, fields: { label: string; key: string; scope?: Scope }): Promise<boolean> {
    // Main names the first account 'default' and derives later ids from the label.
    const request: SaveAccount = { provider, key: fields.key.trim() };
    if (fields.label.trim()) request.label = fields.label.trim();
    if (fields.scope && provider === 'apiframe') request.scope = fields.scope;
    return this.#run(slotOf(provider, null), () => this.#bridge.saveAccount(request), 'Account added.');
  }

  async replaceKey(account: Pick<Account, 'provider' | 'id'>, key: string): Promise<boolean> {
    const trimmed = key.trim();
    if (!trimmed) return false;
    return this.#run(
      slotOf(account.provider, account.id),
      () => this.#bridge.saveAccount({ provider: account.provider, accountId: account.id, key: trimmed }),
      'Key saved.',
    );
  }

  async rename(account: Pick<Account, 'provider' | 'id'>, label: string): Promise<boolean> {
    if (!label.trim()) return false;
    return this.#run(slotOf(account.provider, account.id), () =>
      this.#bridge.saveAccount({ provider: account.provider, accountId: account.id, label: label.trim() }),
    );
  }

  async setScope(account: Pick<Account, 'provider' | 'id'>, scope: Scope): Promise<boolean> {
    return this.#run(slotOf(account.provider, account.id), () =>
      this.#bridge.saveAccount({ provider: account.provider, accountId: account.id, scope }),
    );
  }

  async setDiscover(account: Pick<Account, 'provider' | 'id'>, discover: boolean): Promise<boolean> {
    return this.#run(slotOf(account.provider, account.id), () =>
      this.#bridge.saveAccount({ provider: account.provider, accountId: account.id, discover }),
    );
  }

  async remove(account: Pick<Account, 'provider' | 'id'>, forgetJobs: boolean): Promise<boolean> {
    return this.#run(slotOf(account.provider, account.id), () =>
      this.#bridge.removeAccount({ provider: account.provider, accountId: account.id, forgetJobs }),
    );
  }

  async importHistory(account: Pick<Account, 'provider' | 'id'>): Promise<boolean> {
    return this.#run(slotOf(account.provider, account.id), () =>
      this.#bridge.importHistory({ provider: account.provider, accountId: account.id }),
    );
  }

  async cancelImport(account: Pick<Account, 'provider' | 'id'>): Promise<boolean> {
    return this.#run(slotOf(account.provider, account.id), () =>
      this.#bridge.cancelImport({ provider: account.provider, accountId: account.id }),
    );
  }

  /** "Check again": polls an account paused for payment or an account hold at once. */
  async resume(account: Pick<Account, 'provider' | 'id'>): Promise<boolean> {
    return this.#run(
      slotOf(account.provider, account.id),
      () => this.#bridge.resumeAccount({ provider: account.provider, accountId: account.id }),
      'Checking the account again…',
    );
  }

  clearNotice(slot: string): void {
    this.notice[slot] = null;
  }

  async #run(slot: string, call: () => Promise<Result<AccountsSnapshot>>, okText: string | null = null): Promise<boolean> {
    this.busy[slot] = true;
    this.notice[slot] = null;
    try {
      const result = await settle(call);
      if (!result.ok) {
        this.notice[slot] = { tone: 'error', text: errorMessage(result.error) };
        return false;
      }
      this.snapshot = result.value;
      if (okText) this.notice[slot] = { tone: 'ok', text: okText };
      return true;
    } finally {
      this.busy[slot] = false;
    }
  }
}
