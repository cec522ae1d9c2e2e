/**
 * One response body between an HTTP client's callbacks (push, end, fail) and
 * its single reader (an async iterable), for the download ports
 * (http1-download.ts, undici-download.ts): chunks queue without a Readable
 * stream in between (no push/read bookkeeping, no 'data' events, no
 * concatenation). Backpressure: above BODY_QUEUE_BYTES queued the transport
 * is paused, and TCP flow control slows the server.
 */

/**
 * Body bytes a response may queue before its socket is paused (about one engine write batch). Above it,
 * not at it: a read is at most this size (http1-download.ts reads 256 KiB), and the reader takes it
 * before the next read comes, so one full read alone pausing and resuming the socket was churn (2,800
 * cycles for 400 × 2 MiB, each a timer and a trip through the stream machinery).
 */
const BODY_QUEUE_BYTES = 256 * 1024;
/** discard() reads a body this small to the end (the connection is then reused); bigger ones are cut. */
const DISCARD_READ_BYTES = 64 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * One response body between a client's handler (push, end, fail) and its single
 * reader (an async iterable). Chunks queued before an error are still
 * delivered, then the error is thrown. Leaving the loop early (break/throw)
 * aborts the request.
 */
export class BodyQueue {
  private readonly queue: Uint8Array[] = [];
  private head = 0;
  private queued = 0;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private wake: (() => void) | null = null;
  private used = false;

  constructor(
    private readonly controls: { pause(): void; resume(): void; abort(reason: Error): void; readonly paused: boolean },
    private readonly limit = BODY_QUEUE_BYTES,
  ) {}

  get finished(): boolean {
    return this.ended || this.failure !== null;
  }

  push(chunk: Uint8Array): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > this.limit) this.controls.pause();
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(error: unknown): void {
    if (this.finished) return;
    this.failure = { error };
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.head < this.queue.length) {
        const chunk = this.queue[this.head] as Uint8Array;
        this.queue[this.head++] = EMPTY;
        if (this.head === this.queue.length) {
          this.queue.length = 0;
          this.head = 0;
        }
        // Under sustained backpressure the queue never empties: drop the taken slots now and then.
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        this.queued -= chunk.length;
        if (this.queued < this.limit / 2 && this.controls.paused && !this.finished) this.controls.resume();
        return { value: chunk, done: false };
      }
      if (this.failure !== null) throw this.failure.error;
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  iterable(): AsyncIterable<Uint8Array> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<Uint8Array> => {
        if (this.used) throw new Error('The response body can be read only once.');
        this.used = true;
        return {
          next: () => this.next(),
          return: () => {
            this.stop(new Error('The response body was not read to its end.'));
            return Promise.resolve({ value: undefined, done: true });
          },
        };
      },
    };
  }

  /** Drops the rest of the body: read to the end when it is small, else cut the connection. */
  async discard(): Promise<void> {
    if (this.used) return;
    this.used = true;
    let read = 0;
    try {
      for (;;) {
        const step = await this.next();
        if (step.done === true) return;
        read += step.value.length;
        if (read > DISCARD_READ_BYTES) return this.stop(new Error('Response body discarded.'));
      }
    } catch {
      // A body that broke is discarded already.
    }
  }

  private stop(reason: Error): void {
    if (this.finished) return;
    this.fail(reason);
    this.controls.abort(reason);
  }
}

