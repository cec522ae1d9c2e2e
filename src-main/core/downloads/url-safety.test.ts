import { describe, expect, it } from 'vitest';
import { isAllowedDownloadUrl, redirectTarget } from './url-safety';

describe('isAllowedDownloadUrl', () => {
  it('allows https anywhere and http only to loopback', () => {
    for (const url of ['https://cdn.midjourney.com/a/0_0.png', 'http://127.0.0.1:8787/assets/a.png', 'http://127.5.6.7/x', 'http://localhost:1/x', 'http://[::1]:9/x']) {
      expect(isAllowedDownloadUrl(url), url).toBe(true);
    }
  });

  it('refuses everything else', () => {
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'data:image/png;base64,AAAA', 'http://example.com/a.png', 'http://192.168.1.2/x', 'http://127.0.0.1.evil.com/x', 'ftp://x/y', 'https://user:pw@x.com/a', '', 'not a url', '/etc/passwd', '../../etc/passwd']) {
      expect(isAllowedDownloadUrl(url), url).toBe(false);
    }
  });

  it('resolves redirects and refuses disallowed targets', () => {
    expect(redirectTarget('https://a.com/x', '/y#frag')).toBe('https://a.com/y');
    expect(redirectTarget('https://a.com/x', 'http://evil.com/y')).toBeNull();
    expect(redirectTarget('https://a.com/x', 'file:///etc/passwd')).toBeNull();
    expect(redirectTarget('https://a.com/x', undefined)).toBeNull();
  });

  it('never from elsewhere to this computer (a CDN cannot make genwatch request local services); loopback to loopback and loopback out to https are fine', () => {
    for (const target of ['http://127.0.0.1:8787/x', 'http://localhost/x', 'https://localhost/x', 'http://[::1]:9/x', 'http://127.9.9.9/x']) {
      expect(redirectTarget('https://cdn.example/a.png', target), target).toBeNull();
    }
    expect(redirectTarget('http://127.0.0.1:1/a', 'http://localhost:2/b')).toBe('http://localhost:2/b');
    expect(redirectTarget('http://127.0.0.1:1/a', 'https://cdn.example/b')).toBe('https://cdn.example/b');
  });
});
