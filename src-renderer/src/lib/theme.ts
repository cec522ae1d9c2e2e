import type { Settings } from '../../../src-shared/settings';

/** `system` defers to prefers-color-scheme in app.css; light/dark force it. */
export function applyTheme(theme: Settings['theme'], root: HTMLElement = document.documentElement): void {
  root.dataset['theme'] = theme;
}
