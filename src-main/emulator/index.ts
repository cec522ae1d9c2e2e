/**
 * Loopback emulator of provider APIs (Apiframe now; more providers plug in as
 * sibling modules registering routes). Plain Node only, no Electron.
 */
export type { EmulatorClock } from './clock';
export { ManualClock, ScaledClock } from './clock';
export type { Fault, FaultRule, FaultInjector } from './faults';
export type { ApiframeJobScript, ApiframeJobView, ApiframeResult, ApiframeStatus, ApiframeTrack } from './apiframe';
export { jobView as apiframeJobView } from './apiframe';
export type { Scenario } from './scenarios';
export { demoScenario, singleJobScenario, DEMO_APIFRAME_KEY, TEST_APIFRAME_KEY, SINGLE_JOB_ID } from './scenarios';
export type { RequestRecord, RunningEmulator, StartEmulatorOptions } from './server';
export { startEmulator, REQUEST_LOG_CAP } from './server';
export { encodePngRgb, gradientPng } from './png';
