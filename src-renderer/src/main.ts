import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { getBridge, hasBridge } from './lib/ipc';
import { createStores } from './lib/stores';
import type { GenwatchApi } from '../../src-shared/bridge';

async function previewBridge(): Promise<GenwatchApi> {
  // Dev only: `vite` without Electron shows the UI on the in-memory double.
  const { createIpcDouble, sampleJobs } = await import('./lib/ipc-double');
  const double = createIpcDouble({ jobs: sampleJobs(), demoMode: true });
  setInterval(() => double.tick(3), 1500);
  return double.api;
}

function showFatal(target: HTMLElement, message: string): void {
  const box = document.createElement('div');
  box.className = 'fatal';
  const title = document.createElement('h1');
  title.textContent = 'genwatch could not start its window';
  const text = document.createElement('p');
  text.textContent = message;
  box.append(title, text);
  target.replaceChildren(box);
}

async function start(): Promise<void> {
  const target = document.getElementById('app');
  if (!target) return;
  let bridge: GenwatchApi;
  if (hasBridge()) bridge = getBridge();
  else if (import.meta.env.DEV) bridge = await previewBridge();
  else {
    showFatal(target, 'The connection to the background process is missing. Restart genwatch; if this keeps happening, reinstall it.');
    return;
  }
  mount(App, { target, props: { stores: createStores(bridge) } });
}

void start();
