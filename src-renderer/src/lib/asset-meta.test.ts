import { describe, expect, it } from 'vitest';
import { assetFacts, assetName, metaEntries } from './asset-meta';

describe('asset metadata in the detail panel', () => {
  const track = { kind: 'audio' as const, index: 0, filename: null, contentType: null, size: null, width: null, height: null };

  it('numbers tracks from 1 and hides the keys main keeps for itself', () => {
    const meta = { track: 0, field: 'audioUrl', title: 'Night drive', duration: 125, fromList: true, midjourneyCdn: true, discord: true };
    expect(metaEntries({ meta })).toEqual([
      ['track', '1'],
      ['title', 'Night drive'],
      ['duration', '2:05'],
    ]);
  });

  it('does not repeat the kind the name already says', () => {
    expect(assetName(track)).toBe('audio 1');
    expect(assetFacts(track)).toBe('');
    expect(assetFacts({ ...track, contentType: 'audio/mpeg', size: 2048 })).toBe('audio/mpeg · 2 KB');
    expect(assetFacts({ ...track, filename: 'song.mp3' })).toBe('audio');
  });
});
