import { describe, expect, it } from 'vitest';
import { isRetryable } from '../../src-shared/result';
import { httpError, networkError, providerErrorText, ResponseTooLargeError } from './http-errors';

/** An error shaped like Node's and undici's: a message with raw detail, and a code. */
function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('networkError: one fixed sentence per failure, never the raw error text', () => {
  const cases: [string, Error, string][] = [
    ['ECONNREFUSED', coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:443'), 'Could not reach Apiframe: nothing is answering at that address; genwatch will retry.'],
    [
      'ENOTFOUND',
      coded('ENOTFOUND', 'getaddrinfo ENOTFOUND api.apiframe.example'),
      'Could not reach Apiframe: its address could not be found (check the address or your connection); genwatch will retry.',
    ],
    [
      'EAI_AGAIN',
      coded('EAI_AGAIN', 'getaddrinfo EAI_AGAIN api.apiframe.example'),
      'Could not reach Apiframe: its address could not be found (check the address or your connection); genwatch will retry.',
    ],
    ['ETIMEDOUT', coded('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.5:443'), 'Could not reach Apiframe: it took too long to answer; genwatch will retry.'],
    ['UND_ERR_CONNECT_TIMEOUT', coded('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error (attempted address: 10.0.0.5:443, timeout: 10000ms)'), 'Could not reach Apiframe: it took too long to answer; genwatch will retry.'],
    ['UND_ERR_HEADERS_TIMEOUT', coded('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error'), 'Could not reach Apiframe: it took too long to answer; genwatch will retry.'],
    ['UND_ERR_BODY_TIMEOUT', coded('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error'), 'Could not reach Apiframe: it took too long to answer; genwatch will retry.'],
    ['ECONNRESET', coded('ECONNRESET', 'read ECONNRESET'), 'Could not reach Apiframe: the connection was cut; genwatch will retry.'],
    ['UND_ERR_SOCKET', coded('UND_ERR_SOCKET', 'other side closed'), 'Could not reach Apiframe: the connection was cut; genwatch will retry.'],
    ['EPIPE', coded('EPIPE', 'write EPIPE'), 'Could not reach Apiframe: the connection was cut; genwatch will retry.'],
    ['CERT_HAS_EXPIRED', coded('CERT_HAS_EXPIRED', 'certificate has expired'), "Could not reach Apiframe: the server's certificate is not trusted; genwatch will retry."],
    ['CERT_NOT_YET_VALID', coded('CERT_NOT_YET_VALID', 'certificate is not yet valid'), "Could not reach Apiframe: the server's certificate is not trusted; genwatch will retry."],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), "Could not reach Apiframe: the server's certificate is not trusted; genwatch will retry."],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', coded('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'), "Could not reach Apiframe: the server's certificate is not trusted; genwatch will retry."],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', coded('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), "Could not reach Apiframe: the server's certificate is not trusted; genwatch will retry."],
    ['SELF_SIGNED_CERT_IN_CHAIN', coded('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), "Could not reach Apiframe: the server's certificate is not trusted; genwatch will retry."],
    [
      'ERR_TLS_CERT_ALTNAME_INVALID',
      coded('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: Host: api.apiframe.example. is not in the cert's altnames: DNS:evil.example"),
      "Could not reach Apiframe: the server's certificate is not trusted; genwatch will retry.",
    ],
    ['EPROTO (TLS spoken to a plain-http port)', coded('EPROTO', 'write EPROTO 40F7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), 'Could not reach Apiframe: its answer could not be read; genwatch will retry.'],
    ['HPE_INVALID_CONSTANT (undici parser)', coded('HPE_INVALID_CONSTANT', 'Expected HTTP/'), 'Could not reach Apiframe: its answer could not be read; genwatch will retry.'],
    ['an unknown code', coded('EWHATEVER', 'something odd at 10.0.0.5'), 'Could not reach Apiframe; genwatch will retry.'],
    ['no code at all', new Error('boom at 10.0.0.5'), 'Could not reach Apiframe; genwatch will retry.'],
  ];
  for (const [name, error, message] of cases) {
    it(`${name} → "${message}"`, () => {
      const e = networkError(error, 'Apiframe');
      expect(e).toEqual({ kind: 'network', message });
      expect(isRetryable(e.kind)).toBe(true);
      expect(e.message).not.toContain(error.message);
    });
  }

  it('AbortSignal.timeout (a DOMException named TimeoutError, numeric code 23) is "took too long"', () => {
    const error = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(networkError(error, 'useapi.net').message).toBe('Could not reach useapi.net: it took too long to answer; genwatch will retry.');
  });

  it('the code is found on a wrapped cause (fetch: TypeError "fetch failed") and in an AggregateError (several addresses tried)', () => {
    const wrapped = new TypeError('fetch failed', { cause: coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:443') });
    expect(networkError(wrapped, 'Apiframe').message).toBe('Could not reach Apiframe: nothing is answering at that address; genwatch will retry.');
    const aggregate = new AggregateError([coded('ECONNREFUSED', 'connect ECONNREFUSED ::1:443'), coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:443')], 'aggregate');
    expect(networkError(aggregate, 'Apiframe').message).toBe('Could not reach Apiframe: nothing is answering at that address; genwatch will retry.');
  });

  it('without a code, a code word in the message is used (test doubles, wrappers that drop `code`); a real code wins; a non-Error gets the generic sentence', () => {
    expect(networkError(new Error('ECONNRESET'), 'useapi.net').message).toBe('Could not reach useapi.net: the connection was cut; genwatch will retry.');
    expect(networkError(new Error('connect ECONNREFUSED 127.0.0.1:9'), 'Apiframe').message).toBe('Could not reach Apiframe: nothing is answering at that address; genwatch will retry.');
    expect(networkError(coded('ECONNRESET', 'connect ECONNREFUSED 127.0.0.1:9'), 'Apiframe').message).toBe('Could not reach Apiframe: the connection was cut; genwatch will retry.');
    expect(networkError(new Error('HTTP JSON UTF8 oddity'), 'Apiframe').message).toBe('Could not reach Apiframe; genwatch will retry.');
    expect(networkError('connect ECONNREFUSED 10.0.0.5:443', 'useapi.net').message).toBe('Could not reach useapi.net; genwatch will retry.');
    expect(networkError(undefined, 'useapi.net').message).toBe('Could not reach useapi.net; genwatch will retry.');
  });

  it('a cyclic cause chain does not hang', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(networkError(a, 'Apiframe').message).toBe('Could not reach Apiframe; genwatch will retry.');
  });
});

describe('networkError: an over-size answer', () => {
  it('is not retried and says the address is likely wrong, in one sentence', () => {
    const e = networkError(new ResponseTooLargeError(8 * 1024 * 1024), 'Apiframe');
    expect(e).toEqual({ kind: 'invalid-input', message: 'Apiframe answered with more data than an API answer can be; check the API address in Settings.' , about: 'address' });
    expect(isRetryable(e.kind)).toBe(false);
  });

  it('is recognised by its code too (an error crossing a realm or a process boundary)', () => {
    const e = networkError(coded('GENWATCH_RESPONSE_TOO_LARGE', 'response body too large'), 'useapi.net');
    expect(e.kind).toBe('invalid-input');
  });
});

describe('httpError: a redirect (3xx) is not followed and not retried', () => {
  const answer = (status: number, headers: Record<string, string> = {}) => httpError({ status, headers, body: '' }, 0, 'Apiframe');

  it('names the host the address redirects to, and sends the user to the API address in Settings', () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const e = answer(status, { location: 'https://www.apiframe.example/login?next=/v2/jobs' });
      expect(e.kind, String(status)).toBe('invalid-input');
      expect(isRetryable(e.kind)).toBe(false);
      expect(e.status).toBe(status);
      expect(e.about).toBe('address'); // the poller pauses the account on it: no job is to blame
      expect(e.message).toBe('Apiframe: the API address redirects elsewhere (to www.apiframe.example); check the API address in Settings.');
    }
  });

  it('without a usable Location (none, relative, not http) the sentence leaves the host out', () => {
    const plain = 'Apiframe: the API address redirects elsewhere; check the API address in Settings.';
    expect(answer(301).message).toBe(plain);
    expect(answer(302, { location: '/v3/jobs' }).message).toBe(plain);
    expect(answer(302, { location: 'javascript:alert(1)' }).message).toBe(plain);
    expect(answer(302, { location: 'not a url at all' }).message).toBe(plain);
  });

  it('keeps a port in the host and never repeats credentials or the path', () => {
    const e = answer(307, { location: 'https://user:secret@proxy.example:8443/path?q=1' });
    expect(e.message).toBe('Apiframe: the API address redirects elsewhere (to proxy.example:8443); check the API address in Settings.');
  });

  it('a 2xx other than 200 is still transient, 408 still retried', () => {
    expect(answer(204).kind).toBe('transient');
    expect(answer(408).kind).toBe('transient');
  });
});

describe('providerErrorText leaves the closing full stop to the caller', () => {
  it('drops trailing full stops and spaces so "…: ${text}." never ends in ".."', () => {
    expect(providerErrorText('{"error":"Invalid job ID."}')).toBe('Invalid job ID');
    expect(providerErrorText('{"error":"Wait... "}')).toBe('Wait');
    expect(providerErrorText('{"error":"Invalid status"}')).toBe('Invalid status');
    expect(providerErrorText('{"error":"..."}')).toBeNull();
    expect(providerErrorText('{"error":"Is this right?"}')).toBe('Is this right?');
  });

  it('inside httpError the text ends without a stray full stop before the closing bracket', () => {
    const e = httpError({ status: 422, headers: {}, body: '{"error":"The prompt is too long."}' }, 0, 'useapi.net');
    expect(e.message).toBe('useapi.net refused the request (HTTP 422: The prompt is too long).');
  });
});
