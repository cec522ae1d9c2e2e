/** App-wide state: info, live status (demo mode, account health), navigation. */
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { AccountHealth, AppStatus, NavigationRequest } from '../../../src-shared/ipc-contract';
import { errorMessage, settle } from './ipc';

export type View = 'jobs' | 'downloads' | 'credits' | 'settings';

export type AppInfo = { version: string; platform: string };

/** Whether the page is on screen, and ways to hear when that changes or the network comes back. */
export interface PageVisibility {
  visible(): boolean;
  onChange(listener: () => void): () => void;
  onOnline(listener: () => void): () => void;
}

/** The page's own Page Visibility API (hidden when the window is hidden or minimised). */
export function documentVisibility(): PageVisibility {
  const doc = globalThis.document as Document | undefined;
  const none = (): (() => void) => () => undefined;
  if (!doc) return { visible: () => true, onChange: none, onOnline: none }; // unit tests run without a DOM
  return {
    visible: () => doc.visibilityState === 'visible',
    onChange: (listener) => {
      doc.addEventListener('visibilitychange', listener);
      return () => doc.removeEventListener('visibilitychange', listener);
    },
    onOnline: (listener) => {
      globalThis.addEventListener('online', listener);
      return () => globalThis.removeEventListener('online', listener);
    },
  };
}

export class AppState {
  readonly #bridge: GenwatchApi;

  info = $state<AppInfo | null>(null);
  status = $state<AppStatus | null>(null);
  loadError = $state<string | null>(null);

  view = $state<View>('jobs');
  selectedKey = $state<string | null>(null);

  readonly #visibility: PageVisibility;

  constructor(bridge: GenwatchApi, visibility: PageVisibility = documentVisibility()) {
    this.#bridge = bridge;
    this.#visibility = visibility;
  }

  readonly demoMode: boolean = $derived(this.status?.demoMode ?? false);

  /** Accounts that need the user's attention. "Key missing" is expected in demo mode. */
  readonly alerts: AccountHealth[] = $derived(
    (this.status?.accounts ?? []).filter(
      (a) => a.state !== 'ok' && !(a.state === 'key-missing' && this.demoMode),
    ),
  );

  start(onNavigate?: (request: NavigationRequest) => void): () => void {
    const offStatus = this.#bridge.on('appStatus', (status) => {
      this.status = status;
    });
    // A notification, tray item or menu shortcut in main asks to show something.
    const offNavigate = this.#bridge.on('navigate', (request) => {
      if (request.kind === 'view') this.show(request.view);
      else if (request.kind === 'job') {
        this.show('jobs');
        this.select(request.key);
      } else if (request.kind === 'jobs') {
        this.show('jobs');
        this.select(request.keys.length === 1 ? (request.keys[0] ?? null) : null);
      } else this.show('jobs');
      onNavigate?.(request);
    });
    // Main refreshes progress that costs extra requests only while it is on screen;
    // a hidden or minimised window reports itself hidden.
    const reportVisibility = (): void => {
      void settle(() => this.#bridge.setWindowVisible({ visible: this.#visibility.visible() }));
    };
    const offVisibility = this.#visibility.onChange(reportVisibility);
    reportVisibility();
    // Main's backoff after an outage can reach minutes; the OS knows sooner when the network is back.
    const offOnline = this.#visibility.onOnline(() => void settle(() => this.#bridge.networkOnline({})));
    void this.load();
    return () => {
      offStatus();
      offNavigate();
      offVisibility();
      offOnline();
    };
  }

  async load(): Promise<void> {
    const result = await settle(() => this.#bridge.getAppInfo({}));
    if (!result.ok) {
      this.loadError = errorMessage(result.error);
      return;
    }
    const { status, ...info } = result.value;
    this.info = info;
    // A pushed status may have arrived first; it is at least as fresh.
    this.status ??= status;
    this.loadError = null;
  }

  show(view: View): void {
    this.view = view;
  }

  select(key: string | null): void {
    this.selectedKey = key;
  }

  /** Cancels a running job at the provider (useapi.net); null on success, else the reason. */
  async cancelJob(key: string): Promise<string | null> {
    const result = await settle(() => this.#bridge.cancelJob({ key }));
    return result.ok ? null : errorMessage(result.error);
  }

  async openExternal(url: string): Promise<string | null> {
    const result = await settle(() => this.#bridge.openExternal({ url }));
    return result.ok ? null : errorMessage(result.error);
  }
}
