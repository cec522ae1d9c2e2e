import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { appMenuTemplate } from './app-menu-template';
import type { AppView } from './app-menu-template';

function flatten(items: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}

function setup(platform: string) {
  const calls: string[] = [];
  const template = appMenuTemplate(
    platform,
    {
      showView: (view: AppView) => calls.push(`view:${view}`),
      addJobs: () => calls.push('add'),
      togglePolling: () => calls.push('toggle'),
      acknowledgeFailures: () => calls.push('ack'),
    },
    { pollingPaused: false },
  );
  const byAccelerator = (accelerator: string) => flatten(template).filter((item) => item.accelerator === accelerator);
  const click = (accelerator: string) => {
    const [item] = byAccelerator(accelerator);
    const handler = item?.click as (() => void) | undefined;
    handler?.();
  };
  return { template, calls, byAccelerator, click };
}

describe('appMenuTemplate', () => {
  for (const platform of ['darwin', 'win32', 'linux']) {
    it(`${platform}: shortcuts reach their views and actions, each accelerator used once`, () => {
      const h = setup(platform);
      for (const accelerator of ['CmdOrCtrl+1', 'CmdOrCtrl+2', 'CmdOrCtrl+3', 'CmdOrCtrl+4', 'CmdOrCtrl+,', 'CmdOrCtrl+N', 'CmdOrCtrl+Shift+P', 'CmdOrCtrl+Shift+A']) {
        expect(h.byAccelerator(accelerator), accelerator).toHaveLength(1);
        h.click(accelerator);
      }
      expect(h.calls).toEqual(['view:jobs', 'view:downloads', 'view:credits', 'view:settings', 'view:settings', 'add', 'toggle', 'ack']);
      const roles = flatten(h.template).map((item) => item.role).filter(Boolean);
      expect(roles).toEqual(expect.arrayContaining(['editMenu', 'windowMenu', 'togglefullscreen']));
    });
  }

  it('macOS gets the app menu with about/hide/quit; others quit from File', () => {
    const mac = setup('darwin').template;
    expect(mac[0]?.label).toBe('genwatch');
    expect(flatten(mac).map((i) => i.role)).toEqual(expect.arrayContaining(['about', 'hide', 'hideOthers', 'quit', 'close']));
    const win = setup('win32').template;
    expect(win[0]?.label).toBe('&File');
    expect(flatten(win).map((i) => i.role)).toContain('quit');
  });
});
