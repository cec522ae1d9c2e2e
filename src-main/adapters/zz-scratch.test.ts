import { it } from 'vitest';
import { ResponseReader } from '/work/main/src-main/adapters/http1-response';
it('x', () => {
  for (const input of ['HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\nConstructor: x\r\n__proto__: y\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 099 X\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']) {
    const ev: unknown[] = [];
    const r = new ResponseReader({ head: (h) => ev.push(['head', h, Object.keys(h.headers)]), data: (c) => ev.push(['data', c.toString('latin1')]), end: (x) => ev.push(['end', x]) });
    let used: unknown;
    try { used = r.feed(Buffer.from(input, 'latin1')); } catch (e) { used = e; }
    console.log(JSON.stringify(input), used, r.done, JSON.stringify(ev));
  }
});
