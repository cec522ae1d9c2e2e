/**
 * The environment the desktop app's core reads. In a packaged app, a
 * provider's base-URL variable (GENWATCH_APIFRAME_URL …) counts only when
 * that provider's key variable is set beside it: whoever can set the
 * environment of a launch (launchctl setenv, a shortcut) must not be able to
 * send the keys stored in the keychain to a server of theirs. A key given in
 * the environment goes where the environment says. Unpackaged (development,
 * the Electron specs) everything counts.
 */
interface EnvNames {
  readonly env: { readonly apiKey: string; readonly baseUrl: string };
}

export function desktopEnvironment(env: Readonly<Record<string, string | undefined>>, packaged: boolean, providers: readonly EnvNames[]): Record<string, string | undefined> {
  if (!packaged) return { ...env };
  const dropped = new Set(providers.filter(({ env: names }) => !env[names.apiKey]).map(({ env: names }) => names.baseUrl));
  return Object.fromEntries(Object.entries(env).filter(([name]) => !dropped.has(name)));
}
