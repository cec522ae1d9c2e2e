/**
 * Proxies from the environment: which variables count, and, over real
 * sockets, that requests go through a CONNECT proxy while loopback targets
 * never do (they may carry a key over plain http).
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { proxyFromEnv } from './proxy';
import { resultTransportName } from './result-download';
import { createUndiciDownload } from './undici-download';
import { createUndiciHttp } from './undici-http';

describe('proxyFromEnv', () => {
  it('reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY in either case (lower case first, as curl); an https request falls back to HTTP_PROXY', () => {
    expect(proxyFromEnv({})).toBeNull();
    expect(proxyFromEnv({ NO_PROXY: 'example.com', HTTPS_PROXY: '  ' })).toBeNull();
    expect(proxyFromEnv({ HTTP_PROXY: 'http://p:3128' })).toEqual({ httpProxy: 'http://p:3128', httpsProxy: 'http://p:3128' });
    expect(proxyFromEnv({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2', no_proxy: '.corp' })).toEqual({ httpsProxy: 'http://a:1', noProxy: '.corp' });
  });

  it('a proxy sends result files through undici (genwatch\'s own client speaks no proxy)', () => {
    expect(resultTransportName({ HTTPS_PROXY: 'http://p:3128' })).toBe('undici');
    expect(resultTransportName({})).toBe('http1');
  });
});

/** This machine's first non-loopback IPv4 address: a target that is not loopback without leaving the machine. */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

describe.skipIf(lanAddress === undefined)('through a real CONNECT proxy (needs a non-loopback address on this machine)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function listen(server: ReturnType<typeof createServer>, host: string): Promise<number> {
    const sockets = new Set<Socket>();
    server.on('connection', (s: Socket) => sockets.add(s));
    await new Promise<void>((done) => server.listen(0, host, done));
    closers.push(
      () =>
        new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
    );
    return (server.address() as AddressInfo).port;
  }

  async function setup() {
    const target = createServer((req, res) => res.end(`hello from ${req.url ?? ''}`));
    const targetPort = await listen(target, '0.0.0.0');
    // What went through the proxy: "host:port" per CONNECT tunnel or plain-http request it forwarded.
    const tunnels: string[] = [];
    const proxy = createServer((req, res) => {
      // Plain http through a proxy is sent in absolute form (GET http://host:port/path): forwarded as is.
      const url = new URL(req.url ?? '');
      tunnels.push(url.host);
      const upstream = httpRequest(url, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    proxy.on('connect', (req: { url?: string }, client: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host ?? '', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    const proxyPort = await listen(proxy, '127.0.0.1');
    return { targetPort, tunnels, env: { HTTP_PROXY: `http://127.0.0.1:${proxyPort}` } };
  }

  it('API calls and result files go through the proxy; loopback targets never do', async () => {
    const { targetPort, tunnels, env } = await setup();
    const api = createUndiciHttp({ env });
    const files = createUndiciDownload({ env });
    closers.push(() => api.close(), () => files.close());
    const viaProxy = await api.request({ method: 'GET', url: `http://${lanAddress}:${targetPort}/api`, headers: {}, timeoutMs: 5000 });
    expect(viaProxy.body).toBe('hello from /api');
    const file = await files.request({ url: `http://${lanAddress}:${targetPort}/file`, headers: {}, signal: new AbortController().signal });
    let text = '';
    for await (const c of file.body) text += Buffer.from(c).toString();
    expect(text).toBe('hello from /file');
    expect(tunnels).toEqual([`${lanAddress}:${targetPort}`, `${lanAddress}:${targetPort}`]);
    // The same server by its loopback address: straight there, the proxy sees nothing new.
    const direct = await api.request({ method: 'GET', url: `http://127.0.0.1:${targetPort}/local`, headers: { authorization: 'Bearer k' }, timeoutMs: 5000 });
    expect(direct.body).toBe('hello from /local');
    expect(tunnels).toHaveLength(2);
  });
});
