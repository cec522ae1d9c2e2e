/**
 * The Linux autostart entry (~/.config/autostart/genwatch.desktop): Electron's
 * setLoginItemSettings does nothing on Linux. Pure text generation here; the
 * file itself is written by login-item.ts.
 */
import { HIDDEN_FLAG, PRODUCT_NAME } from './app-identity';

/** Quotes one Exec argument per the Desktop Entry spec. */
export function quoteExecArg(arg: string): string {
  if (!/[\s"'\\`$<>|&;*?#()]/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

/**
 * `executable`: what to run — for an AppImage the AppImage file itself
 * ($APPIMAGE), not the binary inside its temporary mount.
 */
export function autostartDesktopEntry(executable: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${PRODUCT_NAME}`,
    'Comment=Watch AI generation jobs from the tray',
    `Exec=${quoteExecArg(executable)} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    'X-GNOME-Autostart-Delay=5',
    '',
  ].join('\n');
}
