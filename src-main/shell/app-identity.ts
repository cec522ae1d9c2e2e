/**
 * Identity values that must never change after the first release, shared by
 * main.ts, the launch-argument parser and the electron-builder config test
 * (which checks electron-builder.yml agrees with them). Electron-free.
 */

/** = electron-builder `appId`: also the Windows AppUserModelID toasts are routed by. */
export const APP_ID = 'net.genwatch.app';
export const PRODUCT_NAME = 'genwatch';

/**
 * Windows toast activator CLSID. Electron picks a random one per run unless
 * told otherwise, and then Action Center clicks and action buttons are lost.
 */
export const TOAST_ACTIVATOR_CLSID = '{7F47ECC9-8D9F-4741-AF56-4DAED165EE4D}';

/** `genwatch://add?ids=…&provider=…` adds jobs from a link or another app. */
export const PROTOCOL_SCHEME = 'genwatch';

/** Start in the tray without showing the window (login items, autostart). */
export const HIDDEN_FLAG = '--hidden';
