/**
 * The Linux autostart entry (~/.config/autostart/genwatch.desktop): Electron's
 * setLoginItemSettings does nothing on Linux. Pure text generation here; the
 * file itself is written by login-item.ts.
 */
import { HIDDEN_FLAG, PRODUCT_NAME } from './app-identity';

/**
 * One Exec argument as the Desktop Entry spec reads it back: `%` doubled
 * (field codes), reserved characters quoted with `"`, `"` `\`` `$` `\\`
 * escaped inside the quotes, and then every backslash doubled, because the
 * file's string escapes are undone before the Exec quoting (a literal
 * backslash is four; GLib refuses a key with an unknown escape like `\$`).
 */
export function quoteExecArg(arg: string): string {
  const fields = arg.replace(/%/g, '%%');
  const quoted = /[\s"'\\`$<>|&;*?#()~]/.test(fields) ? `"${fields.replace(/(["`$\\])/g, '\\$1')}"` : fields;
  return quoted.replace(/\\/g, '\\\\');
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
