/** Download failures in words: what the user reads, and what only the log keeps. */
import { describe, expect, it } from 'vitest';
import { errorDetail, networkFailure } from './errors';

const coded = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe('networkFailure', () => {
  it('says why in plain words and leaves the raw text out; an untrusted certificate is not retried', () => {
    const reset = networkFailure(coded('ECONNRESET', 'read ECONNRESET 10.1.2.3:443'));
    expect(reset.error.message).toBe("Could not reach the file's server: the connection was cut.");
    expect(reset.retryable).toBe(true);
    const cert = networkFailure(coded('CERT_HAS_EXPIRED', 'certificate has expired'));
    expect(cert.error.message).toBe("Could not reach the file's server: the server's certificate is not trusted.");
    expect(cert.retryable).toBe(false);
    expect(networkFailure(new Error('odd')).error.message).toBe("Could not reach the file's server.");
  });
});

describe('errorDetail (for the log only)', () => {
  it('keeps the code and message, drops every link query (signatures, tokens), and stays short', () => {
    expect(errorDetail(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(errorDetail(coded('EPROTO', 'bad answer'))).toBe('EPROTO: bad answer');
    const signed = errorDetail(new Error('failed https://cdn.example/a.png?ex=1&hm=secret#x and http://127.0.0.1:9/b?token=t1 then'));
    expect(signed).toBe('failed https://cdn.example/a.png?… and http://127.0.0.1:9/b?… then');
    expect(signed).not.toMatch(/secret|t1/);
    expect(errorDetail(new Error('x'.repeat(1000))).length).toBeLessThanOrEqual(301);
  });
});
