import { describe, expect, it } from 'vitest';
import { flushSync } from 'svelte';
import { AccountsState, keyStatusText } from './accounts.svelte';
import { createIpcDouble, demoAccounts, makeAccount } from './ipc-double';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('AccountsState', () => {
  it('lists accounts, keeps the demo one apart and follows pushed updates', async () => {
    const double = createIpcDouble({ demoMode: true });
    const state = new AccountsState(double.api);
    const stop = state.start();
    await tick();
    expect(state.loaded).toBe(true);
    expect(state.forProvider('apiframe').map((a) => a.id)).toEqual(['demo']);
    expect(state.userAccounts('apiframe')).toEqual([]);
    double.updateAccount('apiframe', 'demo', { label: 'Emulator' });
    flushSync();
    expect(state.label('apiframe', 'demo')).toBe('Emulator');
    stop();
    expect(double.listenerCount('accounts')).toBe(0);
  });

  it('creates the first account as "default"; the key goes to main and never into state', async () => {
    const double = createIpcDouble({ demoMode: true });
    const state = new AccountsState(double.api);
    await state.load();
    const secret = 'afk_live_SECRET_value_9z8y';
    expect(await state.create('apiframe', { label: '', key: `  ${secret} `, scope: 'team' })).toBe(true);
    expect(double.calls.at(-1)).toEqual({ method: 'saveAccount', request: { provider: 'apiframe', key: secret, scope: 'team' } });
    expect(double.secrets.get('apiframe:default')).toBe(secret);
    const account = state.userAccounts('apiframe')[0];
    expect(account?.id).toBe('default');
    expect(account?.key).toEqual({ isSet: true, last4: '9z8y', source: 'keychain' });
    expect(keyStatusText(account)).toBe('Key set (…9z8y) · stored in the system keychain');
    expect(JSON.stringify(state.snapshot)).not.toContain('SECRET');
    // A second account is named from its label.
    expect(await state.create('apiframe', { label: 'Client A', key: 'afk_other_key_1234' })).toBe(true);
    expect(state.userAccounts('apiframe').map((a) => a.id)).toEqual(['default', 'client-a']);
  });

  it('replaces a key, changes scope and discovery, and reports refusals on the account', async () => {
    const double = createIpcDouble({ accountList: [makeAccount({ provider: 'apiframe', id: 'default' })] });
    const state = new AccountsState(double.api);
    await state.load();
    const account = { provider: 'apiframe' as const, id: 'default' };
    expect(await state.replaceKey(account, '   ')).toBe(false);
    expect(await state.replaceKey(account, 'afk_new_key_abcd')).toBe(true);
    expect(state.notice['apiframe:default']).toEqual({ tone: 'ok', text: 'Key saved.' });
    await state.setScope(account, 'team');
    await state.setDiscover(account, true);
    expect(state.list[0]).toMatchObject({ scope: 'team', discover: true, key: { last4: 'abcd' } });
    double.failNext('saveAccount', { kind: 'auth', message: 'Apiframe rejected this key.' });
    expect(await state.replaceKey(account, 'afk_bad_key_0000')).toBe(false);
    expect(state.notice['apiframe:default']).toEqual({ tone: 'error', text: 'Apiframe rejected this key.' });
    expect(state.busy['apiframe:default']).toBe(false);
  });

  it('shows history import progress as it is pushed, and cancels it', async () => {
    const double = createIpcDouble({
      accountList: [makeAccount({ provider: 'apiframe', id: 'default', key: { isSet: true, last4: 'abcd', source: 'keychain' } })],
    });
    const state = new AccountsState(double.api);
    const stop = state.start();
    await tick();
    await state.importHistory({ provider: 'apiframe', id: 'default' });
    expect(state.list[0]?.history.state).toBe('running');
    double.importPage('apiframe', 'default', 100);
    double.importPage('apiframe', 'default', 80);
    flushSync();
    expect(state.list[0]?.history).toMatchObject({ state: 'running', pages: 2, jobs: 180 });
    await state.cancelImport({ provider: 'apiframe', id: 'default' });
    expect(state.list[0]?.history.state).toBe('cancelled');
    stop();
  });

  it('removes an account, keeping or forgetting its jobs', async () => {
    const double = createIpcDouble({
      accountList: [makeAccount({ provider: 'apiframe', id: 'default' }), makeAccount({ provider: 'apiframe', id: 'team' })],
    });
    const state = new AccountsState(double.api);
    await state.load();
    expect(await state.remove({ provider: 'apiframe', id: 'team' }, true)).toBe(true);
    expect(double.calls.at(-1)).toEqual({ method: 'removeAccount', request: { provider: 'apiframe', accountId: 'team', forgetJobs: true } });
    expect(state.list.map((a) => a.id)).toEqual(['default']);
  });

  it('raises banners for account problems, not for the demo account or a missing key in demo mode', async () => {
    const double = createIpcDouble({
      accountList: [
        ...demoAccounts(),
        makeAccount({ provider: 'apiframe', id: 'default', health: { state: 'key-missing', message: null } }),
        makeAccount({ provider: 'apiframe', id: 'team', label: 'Team', health: { state: 'payment', message: 'No credits left.' } }),
        makeAccount({ provider: 'useapi', id: 'default', health: { state: 'account-hold', message: null } }),
      ],
    });
    const state = new AccountsState(double.api);
    await state.load();
    expect(state.alerts(true).map((a) => `${a.provider}:${a.accountId}:${a.state}:${a.label ?? ''}`)).toEqual([
      'apiframe:team:payment:Team',
      'useapi:default:account-hold:',
    ]);
    expect(state.alerts(false).map((a) => a.state)).toEqual(['key-missing', 'payment', 'account-hold']);
  });

  it('describes where a key lives', () => {
    const base = makeAccount({ provider: 'apiframe', id: 'default' });
    expect(keyStatusText(base)).toBe('No key set');
    expect(keyStatusText({ ...base, key: { isSet: true, last4: 'wxyz', source: 'environment' } })).toBe('Key set (…wxyz) · from APIFRAME_API_KEY');
    expect(keyStatusText({ ...base, key: { isSet: true, last4: 'wxyz', source: 'session' } })).toBe(
      'Key set (…wxyz) · kept in memory for this session',
    );
    expect(keyStatusText({ ...base, key: { isSet: true, last4: 'demo', source: 'demo' } })).toContain('demo emulator');
  });
});
