import { describe, expect, it } from 'vitest';
import { downloadedFiles, downloadsInFlight } from './downloads-view';
import type { DownloadFileLike } from './downloads-view';

const join = (root: string, relative: string): string => `${root}/${relative}`;

function file(patch: Partial<DownloadFileLike>): DownloadFileLike {
  return { jobKey: 'apiframe:default:a', kind: 'image', state: 'done', bytes: 100, total: 100, path: 'apiframe/a.png', ...patch };
}

describe('downloadsInFlight', () => {
  it('queued, active and retrying files only', () => {
    const files = [file({ state: 'active', bytes: 10, total: 40 }), file({ state: 'queued', bytes: 0, total: null }), file({ state: 'retrying', bytes: 5, total: 10 }), file({ state: 'done' }), file({ state: 'paused' }), file({ state: 'failed' })];
    expect(downloadsInFlight({ root: '/d', files })).toEqual([
      { received: 10, total: 40 },
      { received: 0, total: null },
      { received: 5, total: 10 },
    ]);
  });
});

describe('downloadedFiles', () => {
  it('prefers a finished image per job, else any finished file; nothing without a root', () => {
    const files = [
      file({ jobKey: 'v', kind: 'video', path: 'v.mp4' }),
      file({ jobKey: 'v', kind: 'cover', path: 'v.jpg' }),
      file({ jobKey: 'm', kind: 'audio', path: 'm.mp3' }),
      file({ jobKey: 'm', kind: 'audio', path: 'm2.mp3' }),
      file({ jobKey: 'x', state: 'active', path: 'x.png' }),
      file({ jobKey: 'y', path: null }),
    ];
    const map = downloadedFiles({ root: '/d', files }, join);
    expect(Object.fromEntries(map)).toEqual({ v: { path: '/d/v.jpg', isImage: true }, m: { path: '/d/m.mp3', isImage: false } });
    expect(downloadedFiles({ root: null, files }, join).size).toBe(0);
  });
});
