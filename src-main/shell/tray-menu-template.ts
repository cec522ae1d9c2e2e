/**
 * Converts the presenter's tray menu model into Electron menu options. Only
 * Electron types are imported, so the mapping is unit-tested without Electron.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { TrayAction, TrayMenuItem } from '../core/presenters/tray-model';

export function trayMenuTemplate(items: readonly TrayMenuItem[], onAction: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'separator':
        return { id: item.id, type: 'separator' };
      case 'submenu':
        return { id: item.id, type: 'submenu', label: item.label, enabled: item.enabled, submenu: trayMenuTemplate(item.submenu, onAction) };
      case 'checkbox': {
        const { action } = item;
        return { id: item.id, type: 'checkbox', label: item.label, enabled: item.enabled, checked: item.checked, click: () => onAction(action) };
      }
      case 'normal': {
        const { action } = item;
        return { id: item.id, type: 'normal', label: item.label, enabled: item.enabled, ...(action ? { click: () => onAction(action) } : {}) };
      }
    }
  });
}

/** Finds a menu item by id anywhere in the model (test hooks "click" items this way). */
export function findTrayItem(items: readonly TrayMenuItem[], id: string): TrayMenuItem | null {
  for (const item of items) {
    if (item.id === id) return item;
    if (item.type === 'submenu') {
      const inner = findTrayItem(item.submenu, id);
      if (inner) return inner;
    }
  }
  return null;
}
