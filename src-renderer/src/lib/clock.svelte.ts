/** One shared ticking "now" for relative times, so rows don't each run timers. */
export class Clock {
  now = $state(Date.now());

  /** Starts ticking; returns the stop function. */
  start(intervalMs = 15_000): () => void {
    this.now = Date.now();
    const id = setInterval(() => {
      this.now = Date.now();
    }, intervalMs);
    return () => clearInterval(id);
  }
}

export const clock = new Clock();
