/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { GenwatchApi } from '../../src-shared/bridge';

declare global {
  interface Window {
    /** Exposed by the preload (BRIDGE_GLOBAL). Read it only through `lib/ipc.ts`. */
    genwatch: GenwatchApi;
  }
}

export {};
