import { describe, expect, it } from 'vitest';
import { loginItemNotice } from './login-item-notice';

describe('loginItemNotice', () => {
  it('nothing to say when the switch got what it asked for', () => {
    expect(loginItemNotice({ enabled: true, packaged: true })).toBeNull();
    expect(loginItemNotice({ enabled: true, packaged: true, status: 'enabled' })).toBeNull();
    expect(loginItemNotice({ enabled: false, packaged: true })).toBeNull();
    expect(loginItemNotice({ enabled: false, packaged: false })).toBeNull();
  });

  it('says so when it did not: macOS wants approval, a development run, a failure either way, not registered', () => {
    expect(loginItemNotice({ enabled: true, packaged: true, status: 'requires-approval' })).toBe('To start genwatch at login, allow it in System Settings › General › Login Items.');
    expect(loginItemNotice({ enabled: true, packaged: false })).toBe('Start at login only works in the installed app, not in a development run.');
    expect(loginItemNotice({ enabled: true, packaged: true, error: 'EACCES' })).toMatch(/could not add itself/);
    expect(loginItemNotice({ enabled: false, packaged: true, error: 'EACCES' })).toMatch(/could not remove itself/);
    expect(loginItemNotice({ enabled: true, packaged: true, status: 'not-found' })).toMatch(/did not register/);
  });
});
