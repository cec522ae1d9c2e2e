import { describe, expect, it } from 'vitest';
import { scrollToReveal, windowRange } from './virtual';

describe('windowRange', () => {
  it('covers the viewport plus overscan, clamped to the list', () => {
    expect(windowRange(0, 560, 56, 10_000, 8)).toEqual({ start: 0, end: 18 });
    expect(windowRange(56 * 1000, 560, 56, 10_000, 8)).toEqual({ start: 992, end: 1018 });
    expect(windowRange(56 * 9_995, 560, 56, 10_000, 8)).toEqual({ start: 9_987, end: 10_000 });
    expect(windowRange(-40, 560, 56, 3, 8)).toEqual({ start: 0, end: 3 });
    expect(windowRange(0, 560, 56, 0, 8)).toEqual({ start: 0, end: 0 });
  });
  it('keeps the DOM small whatever the list size', () => {
    const { start, end } = windowRange(123_456, 1_400, 56, 100_000, 8);
    expect(end - start).toBeLessThanOrEqual(Math.ceil(1_400 / 56) + 1 + 16);
  });
});

describe('scrollToReveal', () => {
  it('scrolls only when the row is outside the viewport', () => {
    expect(scrollToReveal(5, 0, 560, 56)).toBeNull();
    expect(scrollToReveal(10, 0, 560, 56)).toBe(56);
    expect(scrollToReveal(2, 560, 560, 56)).toBe(112);
  });
});
