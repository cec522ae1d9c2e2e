/** Registers one ipcMain handler per contract method and forwards core events. */
import { ipcMain } from 'electron';
import type { BrowserWindow } from 'electron';
import { eventChannel } from '../../src-shared/channel-names';
import type { EventName } from '../../src-shared/channel-names';
import type { EventPayload } from '../../src-shared/ipc-contract';
import { checkedEvent, senderFromFrame } from '../core/ipc-router';
import type { IpcRouter } from '../core/ipc-router';

export function registerIpc(router: IpcRouter): void {
  for (const { channel } of router.routes) {
    ipcMain.handle(channel, (event, payload: unknown) => router.dispatch(channel, senderFromFrame(event.senderFrame), payload));
  }
}

export function sendEvent<E extends EventName>(window: BrowserWindow | null, name: E, payload: EventPayload<E>): void {
  if (!window || window.isDestroyed()) return;
  window.webContents.send(eventChannel(name), checkedEvent(name, payload));
}
