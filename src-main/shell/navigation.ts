/**
 * "Show this to the user": a notification click, a tray item or a menu
 * shortcut brings the window forward and asks the renderer (the `navigate`
 * event) to show a view, a job or a filtered list.
 */
import type { BrowserWindow } from 'electron';
import type { NavigationRequest } from '../../src-shared/ipc-contract';
import { sendEvent } from './ipc';

export type { NavigationRequest };

export class Navigator {
  /** The most recent requests, newest last (read by the e2e test hooks). */
  readonly requests: NavigationRequest[] = [];

  constructor(
    private readonly deps: {
      showWindow: () => BrowserWindow;
      log: (message: string, fields?: Record<string, unknown>) => void;
    },
  ) {}

  go(request: NavigationRequest): void {
    const window = this.deps.showWindow();
    this.requests.push(request);
    if (this.requests.length > 50) this.requests.shift();
    const deliver = (): void => sendEvent(window, 'navigate', request);
    if (window.webContents.isLoading()) window.webContents.once('did-finish-load', deliver);
    else deliver();
  }
}
