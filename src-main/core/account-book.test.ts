import { describe, expect, it } from 'vitest';
import { AccountIdSchema } from '../../src-shared/accounts';
import { AccountBook, newAccountRecord, slugify } from './account-book';
import { RecordingKv } from './testing/fakes';

describe('slugify', () => {
  it('lower-cases, joins words with dashes and trims them', () => {
    expect(slugify('Studio Team!')).toBe('studio-team');
    expect(slugify('  My   Main Key  ')).toBe('my-main-key');
    expect(slugify('---a---b---')).toBe('a-b');
  });

  it('folds accents into the plain letter instead of splitting the word', () => {
    expect(slugify('  Café Déjà Vu  ')).toBe('cafe-deja-vu');
  });

  it('falls back to "account" when nothing usable is left, and caps the length', () => {
    expect(slugify('!!!')).toBe('account');
    expect(slugify('日本語')).toBe('account');
    expect(slugify('x'.repeat(100))).toHaveLength(32);
  });

  it('always yields a valid account id', () => {
    for (const label of ['Studio Team!', '!!!', 'A'.repeat(80), '9 lives', 'Ünïcödé ✨ label']) {
      expect(AccountIdSchema.safeParse(slugify(label)).success, label).toBe(true);
    }
  });
});

describe('AccountBook', () => {
  it('uniqueId: a label already taken gets -2, -3, …; other providers do not collide', () => {
    const book = new AccountBook(new RecordingKv());
    expect(book.uniqueId('apiframe', 'Studio')).toBe('studio');
    book.put(newAccountRecord('apiframe', 'studio'));
    expect(book.uniqueId('apiframe', 'Studio')).toBe('studio-2');
    book.put(newAccountRecord('apiframe', 'studio-2'));
    expect(book.uniqueId('apiframe', 'studio')).toBe('studio-3');
    expect(book.uniqueId('useapi', 'Studio')).toBe('studio');
  });

  it('uniqueId never hands out "demo"', () => {
    const book = new AccountBook(new RecordingKv());
    expect(book.uniqueId('apiframe', 'Demo')).toBe('demo-2');
  });

  it('persists records and a new book on the same kv reads them back', () => {
    const kv = new RecordingKv();
    const book = new AccountBook(kv);
    book.put({ ...newAccountRecord('apiframe', 'studio', 'Studio'), scope: 'team', discover: true });
    const again = new AccountBook(kv);
    expect(again.list()).toEqual([{ ...newAccountRecord('apiframe', 'studio', 'Studio'), scope: 'team', discover: true }]);
  });

  it('the demo account is never persisted', () => {
    const kv = new RecordingKv();
    const book = new AccountBook(kv);
    book.ensure('apiframe', 'demo', 'Demo (built-in emulator)');
    book.ensure('apiframe', 'default');
    expect(book.list().map((r) => r.id)).toEqual(['demo', 'default']);
    expect(kv.everythingWritten()).not.toContain('"demo"');
    expect(new AccountBook(kv).list().map((r) => r.id)).toEqual(['default']);
  });

  it('ensure returns the existing record unchanged; the default account is labelled with the provider name', () => {
    const book = new AccountBook(new RecordingKv());
    const first = book.ensure('apiframe', 'default');
    expect(first.label).toBe('Apiframe');
    book.update('apiframe', 'default', (r) => ({ ...r, label: 'Mine' }));
    expect(book.ensure('apiframe', 'default', 'Other').label).toBe('Mine');
  });

  it('remove drops the record with its runtime health and channels; unknown ids report false', () => {
    const kv = new RecordingKv();
    const book = new AccountBook(kv);
    book.ensure('apiframe', 'default');
    book.health.set('apiframe:default', { state: 'payment', message: 'x' });
    expect(book.remove('apiframe', 'default')).toBe(true);
    expect(book.health.has('apiframe:default')).toBe(false);
    expect(book.list()).toEqual([]);
    expect(new AccountBook(kv).list()).toEqual([]);
    expect(book.remove('apiframe', 'default')).toBe(false);
  });

  it('unreadable stored records are skipped, readable ones kept', () => {
    const kv = new RecordingKv();
    kv.set('accounts', [newAccountRecord('apiframe', 'default'), { provider: 'apiframe', id: 'BAD ID' }, 42]);
    expect(new AccountBook(kv).list().map((r) => r.id)).toEqual(['default']);
    const notArray = new RecordingKv();
    notArray.set('accounts', { default: true });
    expect(new AccountBook(notArray).list()).toEqual([]);
  });
});
