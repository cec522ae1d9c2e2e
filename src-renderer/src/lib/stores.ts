import type { GenwatchApi } from '../../../src-shared/bridge';
import { AccountsState } from './accounts.svelte';
import { AppState } from './app.svelte';
import { DownloadsState } from './downloads.svelte';
import { JobsState } from './jobs.svelte';
import { SelectionState } from './selection.svelte';
import { SettingsState } from './settings.svelte';

export type Stores = {
  app: AppState;
  jobs: JobsState;
  settings: SettingsState;
  accounts: AccountsState;
  downloads: DownloadsState;
  selection: SelectionState;
};

/** Everything the UI needs, bound to one bridge (the preload's, or a double). */
export function createStores(bridge: GenwatchApi): Stores {
  return {
    app: new AppState(bridge),
    jobs: new JobsState(bridge),
    settings: new SettingsState(bridge),
    accounts: new AccountsState(bridge),
    downloads: new DownloadsState(bridge),
    selection: new SelectionState(),
  };
}
