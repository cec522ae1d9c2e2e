import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';
import { contentSecurityPolicy } from './src-shared/csp';

/**
 * The page's CSP comes from src-shared/csp.ts: injected as a <meta> into the
 * built index.html, first in <head> (a meta policy covers only what follows it);
 * in `dev` main sends it (plus HMR needs) as a header instead.
 */
function cspMeta(): Plugin {
  return {
    name: 'genwatch-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy({ asMeta: true }) }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  main: {
    build: {
      // electron-store, conf and keytar stay external (real node_modules at runtime);
      // zod is bundled so the CLI and main start without resolving it.
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        input: {
          index: resolve('src-main/shell/main.ts'),
          cli: resolve('src-main/cli/main.ts'),
          // The download engine's worker thread (started by adapters/remote-engine.ts).
          'engine-host': resolve('src-main/adapters/engine-host.ts'),
        },
        output: { entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads cannot be ES modules and cannot require node_modules.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src-preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src-renderer'),
    build: {
      rollupOptions: { input: { index: resolve('src-renderer/index.html') } },
    },
    // The renderer root is src-renderer, so point at the repo's svelte.config.js explicitly.
    plugins: [svelte({ configFile: resolve('svelte.config.js') }), cspMeta()],
  },
});
