/**
 * The whole preload: expose the typed API derived from the channel names.
 * No ipcRenderer, no generic invoke, no Node reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_GLOBAL, buildBridge } from '../src-shared/bridge';

contextBridge.exposeInMainWorld(
  BRIDGE_GLOBAL,
  buildBridge({
    invoke: (channel, payload) => ipcRenderer.invoke(channel, payload),
    subscribe: (channel, listener) => {
      const handler = (_event: Electron.IpcRendererEvent, payload: unknown): void => listener(payload);
      ipcRenderer.on(channel, handler);
      return () => {
        ipcRenderer.removeListener(channel, handler);
      };
    },
  }),
);
