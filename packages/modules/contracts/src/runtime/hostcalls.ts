import { SalusError } from '@salus/core';
import { contractError } from '../errors.js';
import { CONTRACT_LIMITS } from '../limits.js';
import { checkKey, jsonToValue, utf8Length, valueToJson, type ContractValue } from '../values.js';
import type { ContractHost } from './host.js';
import type { Meter } from './meter.js';

const EVENT_TYPE = /^[a-z][a-z0-9_.-]{0,63}$/;
const NAME = /^[A-Za-z0-9_.:/-]{1,128}$/;

function args(json: string, n: number): unknown[] {
  const a = jsonToValue(json, 'host call arguments', CONTRACT_LIMITS.valueBytes + CONTRACT_LIMITS.keyBytes + 1024);
  if (!Array.isArray(a) || a.length !== n) throw contractError('CONTRACT_VALUE', 'malformed host call');
  return a as unknown[];
}

function name(v: unknown, what: string, pattern = NAME): string {
  if (typeof v !== 'string' || !pattern.test(v)) throw contractError('CONTRACT_VALUE', `${what} must match ${pattern}`, { what });
  return v;
}

/**
 * The one function the sandbox calls the host through: `(op, argumentsJson) → resultJson`. Every
 * operation is charged before it runs, validated both ways, and any failure is recorded in the
 * meter as fatal (the contract cannot catch its way past a refused write or a failed check).
 */
export function hostDispatcher(host: ContractHost, meter: Meter, depth: number): (op: string, json: string) => string | undefined {
  const p = meter.prices;
  let events = 0;
  const ops: Record<string, (json: string) => string | undefined> = {
    ctx: () => JSON.stringify(host.context),
    refuse: (json) => meter.fail(contractError('CONTRACT_VALUE', String(JSON.parse(json)).slice(0, CONTRACT_LIMITS.messageChars))),
    get: (json) => {
      const key = checkKey(args(json, 1)[0]);
      meter.charge(p.hostCall + key.length * p.readByte);
      const v = host.get(key);
      if (v === undefined) return undefined;
      const out = valueToJson(v, `state value of ${key}`, CONTRACT_LIMITS.valueBytes);
      meter.charge(utf8Length(out) * p.readByte);
      return out;
    },
    read: (json) => {
      const [key] = args(json, 1);
      if (typeof key !== 'string' || key.length === 0 || key.length > CONTRACT_LIMITS.keyBytes) throw contractError('CONTRACT_VALUE', 'a state key of another module is a non-empty string');
      meter.charge(p.hostCall + key.length * p.readByte);
      if (!host.read) throw contractError('CONTRACT_FORBIDDEN', 'this host offers no state of other modules');
      const v = host.read(key);
      if (v === undefined) return undefined;
      const out = valueToJson(v, `module state ${key}`, CONTRACT_LIMITS.valueBytes);
      meter.charge(utf8Length(out) * p.readByte);
      return out;
    },
    set: (json) => {
      meter.charge(p.hostCall + utf8Length(json) * p.writeByte);
      const [key, value] = args(json, 2);
      valueToJson(value, 'state value', CONTRACT_LIMITS.valueBytes);
      host.set(checkKey(key), value as ContractValue);
      return undefined;
    },
    delete: (json) => {
      const key = checkKey(args(json, 1)[0]);
      meter.charge(p.hostCall + key.length * p.writeByte);
      host.delete(key);
      return undefined;
    },
    list: (json) => {
      const [prefix, after, limit] = args(json, 3);
      if (typeof prefix !== 'string' || (prefix !== '' && checkKey(prefix, 'prefix') !== prefix)) throw contractError('CONTRACT_VALUE', 'prefix must be a string');
      if (after !== null) checkKey(after, 'after');
      const max = limit === null ? CONTRACT_LIMITS.listMax : limit;
      if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1 || max > CONTRACT_LIMITS.listMax) {
        throw contractError('CONTRACT_VALUE', `limit must be an integer from 1 to ${CONTRACT_LIMITS.listMax}`);
      }
      meter.charge(p.hostCall + max * p.listEntry);
      const rows = host.list(prefix, after === null ? { limit: max } : { after: after as string, limit: max });
      let prev = after as string | null;
      const out: [string, ContractValue][] = [];
      for (const [k, v] of rows) {
        // the host's order is consensus: refuse an answer that is not the one ordered page
        if (typeof k !== 'string' || !k.startsWith(prefix) || (prev !== null && !(k > prev)) || out.length >= max) {
          throw contractError('CONTRACT_INTERNAL', 'the host answered list out of order or beyond its limit');
        }
        prev = k;
        out.push([k, v]);
      }
      const s = valueToJson(out, 'list result', CONTRACT_LIMITS.listMax * CONTRACT_LIMITS.valueBytes);
      meter.charge(utf8Length(s) * p.readByte);
      return s;
    },
    emit: (json) => {
      meter.charge(p.hostCall + utf8Length(json) * p.eventByte);
      if (utf8Length(json) > CONTRACT_LIMITS.eventBytes) throw contractError('CONTRACT_VALUE', `an event is larger than ${CONTRACT_LIMITS.eventBytes} bytes`);
      if (++events > CONTRACT_LIMITS.eventsPerCall) throw contractError('CONTRACT_VALUE', `a call emits at most ${CONTRACT_LIMITS.eventsPerCall} events`);
      const [type, attributes] = args(json, 2);
      if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) throw contractError('CONTRACT_VALUE', 'event attributes must be an object');
      host.emit(name(type, 'event type', EVENT_TYPE), attributes as Record<string, ContractValue>);
      return undefined;
    },
    call: (json) => {
      meter.charge(p.hostCall + p.nestedCall + utf8Length(json) * p.ioByte);
      const [contract, method, a] = args(json, 3);
      if (depth + 1 > CONTRACT_LIMITS.maxDepth) {
        throw contractError('CONTRACT_DEPTH', `cross-contract calls nest at most ${CONTRACT_LIMITS.maxDepth} deep`, { depth: depth + 1 });
      }
      let r: { value: ContractValue; gasUsed: number };
      try {
        r = host.call(name(contract, 'contract'), name(method, 'method'), a as ContractValue, { gas: meter.remaining(), depth: depth + 1 });
      } catch (e) {
        const used = e instanceof SalusError && typeof e.meta.gasUsed === 'number' ? e.meta.gasUsed : 0;
        meter.absorb(used);
        return meter.fail(e);
      }
      meter.charge(r.gasUsed);
      const out = valueToJson(r.value, 'nested call result', CONTRACT_LIMITS.resultBytes);
      meter.charge(utf8Length(out) * p.ioByte);
      return out;
    },
    hasRole: (json) => {
      meter.charge(p.hostCall);
      return host.hasRole(name(args(json, 1)[0], 'role')) ? 'true' : 'false';
    },
    requireRole: (json) => {
      meter.charge(p.hostCall);
      const role = name(args(json, 1)[0], 'role');
      if (!host.hasRole(role)) throw contractError('CONTRACT_FORBIDDEN', `the signer lacks the role ${role}`, { role });
      return undefined;
    },
    requireSigner: (json) => {
      meter.charge(p.hostCall);
      const key = name(args(json, 1)[0], 'signer key');
      if (!host.isSigner(key)) throw contractError('CONTRACT_FORBIDDEN', 'the call is not signed by the required key', { key });
      return undefined;
    },
  };
  return (op, json) => {
    meter.throwIfFatal();
    const f = Object.hasOwn(ops, op) ? ops[op] : undefined;
    try {
      if (!f) throw contractError('CONTRACT_VALUE', `unknown host operation ${op}`);
      return f(json);
    } catch (e) {
      return meter.fail(e);
    }
  };
}
