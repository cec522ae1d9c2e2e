/**
 * The download naming template's variables and what each becomes: one list
 * for the engine (src-main/core/downloads/naming.ts) and the settings help
 * text in the renderer. Zod-free, so the renderer imports it directly.
 */
export const TEMPLATE_VARIABLES = [
  'provider',
  'account',
  'date',
  'time',
  'jobId',
  'shortId',
  'index',
  'n',
  'kind',
  'model',
  'modality',
  'prompt',
  'ext',
  'group',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

export const TEMPLATE_VARIABLE_DESCRIPTIONS: Readonly<Record<TemplateVariable, string>> = {
  provider: 'apiframe or useapi',
  account: 'the account id',
  date: 'completion (else creation) date, 2026-03-15',
  time: 'completion (else creation) time, 10-04-31',
  jobId: 'the full job id',
  shortId: 'a short form of the job id (8 characters)',
  index: 'file number among the job\'s files of the same kind, from 1',
  n: 'file number among all of the job\'s files, from 1',
  kind: 'image, grid, video, audio, cover',
  model: 'midjourney, flux-pro, suno…',
  modality: 'image, video or music',
  prompt: 'the start of the prompt as a slug ({prompt:40} bounds it to 40 bytes)',
  ext: 'png, mp4, mp3…',
  group: 'the id of the job this one was made from (a grid, for its upscales and variations), else the job\'s own id: {provider}/{group}/… keeps a grid and its upscales in one folder',
};

/** The default file layout. */
export const DEFAULT_DOWNLOAD_TEMPLATE = '{provider}/{date}/{jobId}_{kind}-{index}.{ext}';
