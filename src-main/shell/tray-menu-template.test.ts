import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { TrayAction, TrayMenuItem } from '../core/presenters/tray-model';
import { findTrayItem, trayMenuTemplate } from './tray-menu-template';

const MODEL: TrayMenuItem[] = [
  { type: 'normal', id: 'summary', label: '1 running', enabled: false, action: null },
  { type: 'separator', id: 'sep' },
  { type: 'checkbox', id: 'check', label: 'Check', enabled: true, checked: true, action: { kind: 'pause-polling' } },
  {
    type: 'submenu',
    id: 'mute',
    label: 'Mute notifications',
    enabled: true,
    submenu: [{ type: 'normal', id: 'mute-hour:apiframe:default', label: 'Mute for 1 hour', enabled: true, action: { kind: 'mute-account', ref: 'apiframe:default', choice: 'hour' } }],
  },
  { type: 'normal', id: 'quit', label: 'Quit genwatch', enabled: true, action: { kind: 'quit' } },
];

describe('trayMenuTemplate', () => {
  it('maps every item type and wires clicks to actions', () => {
    const actions: TrayAction[] = [];
    const template = trayMenuTemplate(MODEL, (a) => actions.push(a));
    expect(template.map((i) => [i.id, i.type])).toEqual([
      ['summary', 'normal'],
      ['sep', 'separator'],
      ['check', 'checkbox'],
      ['mute', 'submenu'],
      ['quit', 'normal'],
    ]);
    expect(template[0]).toMatchObject({ label: '1 running', enabled: false });
    expect(template[0]?.click).toBeUndefined();
    expect(template[2]?.checked).toBe(true);
    const sub = template[3]?.submenu as MenuItemConstructorOptions[];
    (sub[0]?.click as () => void)();
    (template[4]?.click as () => void)();
    expect(actions).toEqual([{ kind: 'mute-account', ref: 'apiframe:default', choice: 'hour' }, { kind: 'quit' }]);
  });

  it('findTrayItem searches submenus', () => {
    expect(findTrayItem(MODEL, 'mute-hour:apiframe:default')?.type).toBe('normal');
    expect(findTrayItem(MODEL, 'nope')).toBeNull();
  });
});
