import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        // The svelte plugin compiles runes in *.svelte.ts for the renderer's state tests.
        plugins: [svelte()],
        test: {
          name: 'unit',
          include: ['src-main/**/*.test.ts', 'src-shared/**/*.test.ts', 'src-renderer/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.keychain.test.ts', '**/node_modules/**'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        // Talks to a real Secret Service: run inside scripts/with-keyring.sh (CI does).
        test: {
          name: 'keychain',
          include: ['src-main/**/*.keychain.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
    ],
  },
});
