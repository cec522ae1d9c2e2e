import { describe, expect, it } from 'vitest';
import { previewUrl, relativeFromPreviewUrl } from './preview-url';

describe('preview URLs', () => {
  it('round-trip a relative path, spaces, # and ? included, and take Windows separators as folders', () => {
    for (const path of ['a.png', 'apiframe/2026-03-15/job #1?/x y.png', 'ünï/çødé.webm']) expect(relativeFromPreviewUrl(previewUrl(path))).toBe(path);
    expect(relativeFromPreviewUrl(previewUrl('a\\b.png'))).toBe('a/b.png');
    expect(previewUrl('a b/c.png')).toBe('genwatch-file://saved/a%20b/c.png');
  });

  it('anything else is not a preview: other schemes and hosts, empty segments, bad escapes', () => {
    for (const url of ['file:///etc/passwd', 'genwatch-file://other/a.png', 'genwatch-file://saved/', 'genwatch-file://saved/a//b.png', 'genwatch-file://saved/%E0%A4%A.png', 'https://saved/a.png']) {
      expect(relativeFromPreviewUrl(url), url).toBeNull();
    }
  });

  it('a traversal is passed on as written (main refuses it: the path must stay inside the folder)', () => {
    expect(relativeFromPreviewUrl('genwatch-file://saved/..%2F..%2Fetc%2Fpasswd')).toBe('../../etc/passwd');
  });
});
