/**
 * Field readers for the optional parts of provider answers. The APIs are
 * documented loosely and evolve: a number sent as a string, an error sent as
 * an object, a time sent as epoch seconds must not make a whole job
 * unreadable (it would be retried forever, and a finished job never reported
 * as finished). Each reader keeps what it can use and makes the rest null.
 * Required fields (ids, status) stay strict in each wire schema. A missing
 * field stays undefined.
 */
import { z } from 'zod';

function numberOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value.trim().replace(/%$/, ''));
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value !== null && typeof value === 'object') {
    // An error object: its message when it has one, else the object itself, short.
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string' && message.trim() !== '') return message;
    const json = JSON.stringify(value);
    return json === '{}' || json === '[]' ? null : json.slice(0, 500);
  }
  return null;
}

/** Epoch seconds or milliseconds become ISO times; strings pass as they are. */
function timeOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return null;
  const ms = value < 1e12 ? value * 1000 : value;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A number, or a numeric string ("65", "65%"); anything else null. */
export const lenientNumber = z.unknown().transform(numberOf).optional();
/** A string, a number or boolean as text, an error object's message; anything else null. */
export const lenientText = z.unknown().transform(textOf).optional();
/** A time: as sent when a string, ISO when epoch seconds or milliseconds; anything else null. */
export const lenientTime = z.unknown().transform(timeOf).optional();
