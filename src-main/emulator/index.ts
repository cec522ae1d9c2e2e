/**
 * Loopback emulator of provider APIs (Apiframe and useapi.net Midjourney v3;
 * more providers plug in as sibling modules registering routes). Plain Node
 * only, no Electron.
 */
export type { EmulatorClock } from './clock';
export { ManualClock, ScaledClock } from './clock';
export type { Fault, FaultRule, FaultInjector } from './faults';
export type { ApiframeJobScript, ApiframeJobView, ApiframeListItem, ApiframeListQuirk, ApiframeResult, ApiframeScenario, ApiframeStatus, ApiframeTrack } from './apiframe';
export { jobView as apiframeJobView } from './apiframe';
export type { Scenario } from './scenarios';
export { demoScenario, singleJobScenario, useapiImagine, DEMO_APIFRAME_KEY, TEST_APIFRAME_KEY, SINGLE_JOB_ID, DEMO_USEAPI_TOKEN, TEST_USEAPI_TOKEN } from './scenarios';
export type { BulkOptions } from './bulk';
export { bulkScenario } from './bulk';
export type { UseapiChannelLimits, UseapiScenario } from './useapi';
export type { UseapiAccountState, UseapiAttachment, UseapiJobScript, UseapiJobView, UseapiStatus, UseapiVerb } from './useapi-view';
export { makeUseapiJobId } from './useapi-view';
export type { RequestRecord, RunningEmulator, StartEmulatorOptions } from './server';
export { startEmulator, REQUEST_LOG_CAP } from './server';
export { encodePngRgb, gradientPng } from './png';
