import { SalusError } from '@salus/core';
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import { contractError } from '../errors.js';
import { CONTRACT_LIMITS } from '../limits.js';

const REASON = /^[A-Z][A-Z0-9_]{1,63}$/;

export interface Thrown {
  readonly name: string;
  readonly message: string;
  readonly reason: string | null;
}

/** Reads what escaped into the host: an exception object's name, message and reason, or a thrown string. */
export function readThrown(ctx: QuickJSContext, err: QuickJSHandle): Thrown {
  const prop = (k: string): string => {
    try {
      return ctx.getProp(err, k).consume((h) => (ctx.typeof(h) === 'string' ? ctx.getString(h) : ''));
    } catch {
      return '';
    }
  };
  if (ctx.typeof(err) !== 'object') return { name: '', message: ctx.typeof(err) === 'string' ? ctx.getString(err) : 'a non-error value was thrown', reason: null };
  const reason = prop('reason');
  return { name: prop('name'), message: prop('message'), reason: reason || null };
}

/**
 * Maps what the contract threw to the call's error. The engine's own limits surface as errors
 * with fixed names and messages; a contract that throws an InternalError('out of memory') itself
 * gets CONTRACT_MEMORY too, which is deterministic and harmless.
 */
export function thrownToError(t: Thrown, gasUsed: number): SalusError {
  const message = t.message.slice(0, CONTRACT_LIMITS.messageChars);
  if (t.name === 'InternalError' && t.message === 'out of memory') return contractError('CONTRACT_MEMORY', 'the call exceeded its memory limit', { gasUsed });
  if ((t.name === 'RangeError' && /^invalid (string|array) length$/.test(t.message)) || (t.name === 'InternalError' && t.message === 'string too long')) return contractError('CONTRACT_MEMORY', `the call built a value too large: ${message}`, { gasUsed });
  if (t.name === 'InternalError' && t.message === 'stack overflow') return contractError('CONTRACT_STACK', 'the call exceeded its stack limit', { gasUsed });
  const meta: Record<string, unknown> = { gasUsed };
  if (t.reason !== null && REASON.test(t.reason)) meta.reason = t.reason;
  if (t.name) meta.name = t.name.slice(0, 64);
  return contractError('CONTRACT_FAILED', message || (meta.reason as string | undefined) || 'the contract threw', meta);
}

/** The recorded fatal failure, carrying this call's gas (a nested call's error carried the nested call's). */
export function fatalToError(fatal: unknown, gasUsed: number): unknown {
  if (!(fatal instanceof SalusError)) return fatal;
  return new SalusError(fatal.code, fatal.message, { ...fatal.meta, gasUsed });
}
