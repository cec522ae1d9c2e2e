/**
 * The accounts genwatch knows, persisted without their keys (those live in
 * the keychain). Health and per-channel load are runtime state kept beside.
 */
import { AccountIdSchema, HISTORY_STATES, SCOPES } from '../../src-shared/accounts';
import type { Account } from '../../src-shared/accounts';
import { PROVIDER_LABELS, ProviderIdSchema } from '../../src-shared/job';
import type { ProviderId } from '../../src-shared/job';
import { z } from 'zod';
import type { KeyValueStore } from './ports';

export const AccountRecordSchema = z.object({
  provider: ProviderIdSchema,
  id: AccountIdSchema,
  label: z.string(),
  scope: z.enum(SCOPES),
  discover: z.boolean(),
  history: z.object({
    state: z.enum(HISTORY_STATES),
    pages: z.number().int().nonnegative(),
    jobs: z.number().int().nonnegative(),
    message: z.string().nullable(),
    finishedAt: z.string().nullable(),
    /** Where an interrupted import resumes. */
    cursor: z.string().nullable(),
  }),
});
export type AccountRecord = z.infer<typeof AccountRecordSchema>;

const KEY = 'accounts';

export function newAccountRecord(provider: ProviderId, id: string, label?: string): AccountRecord {
  return {
    provider,
    id,
    label: label ?? (id === 'default' ? PROVIDER_LABELS[provider] : id),
    scope: 'user',
    discover: false,
    history: { state: 'never', pages: 0, jobs: 0, message: null, finishedAt: null, cursor: null },
  };
}

export function slugify(label: string): string {
  const slug = label
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // accents fold into the plain letter: "Déjà" → "deja"
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);
  return slug || 'account';
}

export class AccountBook {
  private readonly records = new Map<string, AccountRecord>();
  readonly health = new Map<string, Account['health']>();
  readonly channels = new Map<string, Account['channels']>();

  constructor(private readonly kv: KeyValueStore) {
    const stored = kv.get(KEY);
    if (Array.isArray(stored)) {
      for (const item of stored) {
        const parsed = AccountRecordSchema.safeParse(item);
        if (parsed.success) this.records.set(ref(parsed.data.provider, parsed.data.id), parsed.data);
      }
    }
  }

  list(): AccountRecord[] {
    return [...this.records.values()];
  }

  get(provider: ProviderId, id: string): AccountRecord | undefined {
    return this.records.get(ref(provider, id));
  }

  ensure(provider: ProviderId, id: string, label?: string): AccountRecord {
    return this.get(provider, id) ?? this.put(newAccountRecord(provider, id, label));
  }

  put(record: AccountRecord): AccountRecord {
    this.records.set(ref(record.provider, record.id), record);
    this.save();
    return record;
  }

  update(provider: ProviderId, id: string, change: (record: AccountRecord) => AccountRecord): AccountRecord | undefined {
    const current = this.get(provider, id);
    if (!current) return undefined;
    return this.put(change(current));
  }

  remove(provider: ProviderId, id: string): boolean {
    const removed = this.records.delete(ref(provider, id));
    this.health.delete(ref(provider, id));
    this.channels.delete(ref(provider, id));
    if (removed) this.save();
    return removed;
  }

  /** An id for a new account, unique within the provider. */
  uniqueId(provider: ProviderId, label: string): string {
    const base = slugify(label);
    let candidate = base;
    for (let n = 2; this.get(provider, candidate) || candidate === 'demo'; n++) candidate = `${base}-${n}`;
    return candidate;
  }

  private save(): void {
    // The demo account lives on a throwaway emulator: never persisted.
    this.kv.set(
      KEY,
      this.list().filter((r) => r.id !== 'demo'),
    );
  }
}

export const ref = (provider: ProviderId, id: string): string => `${provider}:${id}`;
