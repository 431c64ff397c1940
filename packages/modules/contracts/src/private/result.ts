import type { EndorsedResult } from '@salus/client';
import { SalusError, fromHex, signObject, toHex, v, verifyObject, type Canonical, type Ed25519 } from '@salus/core';

/**
 * What the parties' nodes sign after running a private call: the input's hash (never the input),
 * the private-state root it ran on and the one it produced, and the public outputs. The caller and
 * the committed height and block time the call saw are part of it, so that every party (and any
 * node replaying the call later) runs it in the same context. Validators check these signatures
 * against the contract's endorsement policy; they never see the input or the state.
 */
export type PrivateResult = EndorsedResult;
export type PrivateOutputs = EndorsedResult['outputs'];

/** A party's signature over a result, by an active key of the party's organisation. */
export interface Endorsement {
  readonly key: string;
  readonly sig: string;
}

const HEX32 = /^[0-9a-f]{64}$/;
const HEX64 = /^[0-9a-f]{128}$/;
const NAME = /^[a-z][a-z0-9-]{1,62}$/;
const ROLE = /^[a-z][a-z0-9-]{0,62}$/;
const EVENT = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function resultBody(r: PrivateResult): Canonical {
  return { contract: r.contract, caller: r.caller, roles: [...r.roles], input: r.input, height: r.height, time: r.time, before: r.before, after: r.after, outputs: r.outputs as unknown as Canonical };
}

export function signResult(ed: Ed25519, secretKey: Uint8Array, publicKey: Uint8Array, chainId: string, r: PrivateResult): Endorsement {
  return { key: toHex(publicKey), sig: toHex(signObject(ed, secretKey, 'endorsement', chainId, resultBody(r))) };
}

export function verifyEndorsement(ed: Ed25519, chainId: string, r: PrivateResult, e: Endorsement): boolean {
  return verifyObject(ed, fromHex(e.key, 32), fromHex(e.sig, 64), 'endorsement', chainId, resultBody(r));
}

export function parseEndorsement(x: unknown, field: string): Endorsement {
  const r = v.record(x, field);
  v.onlyKeys(r, ['key', 'sig'], field);
  return { key: v.str(r.key, `${field}.key`, 64, HEX32), sig: v.str(r.sig, `${field}.sig`, 128, HEX64) };
}

function outputs(x: unknown, field: string): PrivateOutputs {
  const r = v.record(x, field);
  v.onlyKeys(r, ['value', 'events'], field);
  const events = v.list(r.events ?? [], `${field}.events`, 256).map((e, i) => {
    const o = v.record(e, `${field}.events[${i}]`);
    v.onlyKeys(o, ['event', 'data'], `${field}.events[${i}]`);
    return { event: v.str(o.event, `${field}.events[${i}].event`, 64, EVENT), data: (o.data ?? null) as Canonical };
  });
  return { value: (r.value ?? null) as Canonical, events };
}

/** The shape of a result (stateless); its signatures and roots are checked against state by the handler. */
export function parsePrivateResult(x: unknown, field = 'result'): PrivateResult {
  const r = v.record(x, field);
  v.onlyKeys(r, ['contract', 'caller', 'roles', 'input', 'height', 'time', 'before', 'after', 'outputs'], field);
  const result = {
    contract: v.str(r.contract, `${field}.contract`, 63, NAME),
    caller: v.str(r.caller, `${field}.caller`, 64, HEX32),
    roles: v.list(r.roles, `${field}.roles`, 4).map((w, i) => v.str(w, `${field}.roles[${i}]`, 63, ROLE)),
    input: v.str(r.input, `${field}.input`, 64, HEX32),
    height: v.uint(r.height, `${field}.height`),
    time: v.uint(r.time, `${field}.time`),
    before: v.str(r.before, `${field}.before`, 64, HEX32),
    after: v.str(r.after, `${field}.after`, 64, HEX32),
    outputs: outputs(r.outputs, `${field}.outputs`),
  };
  if (result.height < 1) throw new SalusError('INVALID_FIELD', `${field}.height is a committed height (1 or more)`, { field: `${field}.height` });
  return result;
}
