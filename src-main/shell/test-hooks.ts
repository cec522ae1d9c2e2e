/**
 * Test-only hooks for the Electron e2e specs: tray menus and OS
 * notifications cannot be driven by Playwright, so with
 * GENWATCH_TEST_HOOKS=1 main exposes `globalThis.__genwatchTest` to
 * `electronApp.evaluate(...)`. Never installed otherwise.
 */
import type { SettingsPatch } from '../../src-shared/settings';
import type { TaskbarModel } from '../core/presenters/taskbar-progress';
import type { TrayModel } from '../core/presenters/tray-model';
import type { Desktop } from './desktop';
import type { NavigationRequest } from './navigation';
import type { NotificationRecord } from './notifications';
import { findTrayItem } from './tray-menu-template';

export interface GenwatchTestHooks {
  trayMenu(): TrayModel;
  /** Runs a tray menu item's action by id; false when there is no such enabled item. */
  clickTrayItem(id: string): boolean;
  notifications(): NotificationRecord[];
  /** Behaves as if the notification with this id was clicked. */
  clickNotification(id: string): boolean;
  navigations(): NavigationRequest[];
  taskbar(): TaskbarModel;
  updateSettings(patch: SettingsPatch): void;
}

export function installTestHooks(desktop: Desktop, updateSettings: (patch: SettingsPatch) => void, env: NodeJS.ProcessEnv = process.env): void {
  if (env['GENWATCH_TEST_HOOKS'] !== '1') return;
  const hooks: GenwatchTestHooks = {
    trayMenu: () => desktop.presenter.tray(),
    clickTrayItem: (id) => {
      const item = findTrayItem(desktop.presenter.tray().menu, id);
      if (!item || (item.type !== 'normal' && item.type !== 'checkbox') || !item.enabled || !item.action) return false;
      desktop.handleAction(item.action);
      return true;
    },
    notifications: () => desktop.notifications.records.map((record) => ({ ...record })),
    clickNotification: (id) => {
      const record = [...desktop.notifications.records].reverse().find((r) => r.model.id === id);
      if (!record) return false;
      const { target } = record.model;
      desktop.navigator.go(target.kind === 'job' ? { kind: 'job', key: target.key } : { kind: 'jobs', keys: target.keys });
      return true;
    },
    navigations: () => [...desktop.navigator.requests],
    taskbar: () => desktop.presenter.taskbar(),
    updateSettings,
  };
  (globalThis as { __genwatchTest?: GenwatchTestHooks }).__genwatchTest = hooks;
}
