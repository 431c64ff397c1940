import { SalusError, v, type Canonical } from '@salus/core';
import { parseManifest, type Manifest } from './manifest.js';
import { parsePrivateCall, parseReport, type PrivateCall, type Report } from '../private/payloads.js';

/** The contracts module's transactions and their stateless checks. */
export const CONTRACT_TX_TYPES = ['deploy', 'instantiate', 'call', 'upgrade', 'freeze', 'approve', 'private_call', 'report'] as const;
export type ContractTxType = (typeof CONTRACT_TX_TYPES)[number];

/** Bundled code is stored whole on the ledger; with the envelope it must fit a transaction (256 KiB). */
export const CODE_BYTES_MAX = 192 * 1024;
/** The most gas one call may be given (an instruction budget of about this many QuickJS ticks × price). */
export const GAS_MAX = 50_000_000;
export const ARGS_BYTES_MAX = 64 * 1024;

export const CONTRACT_NAME = /^[a-z][a-z0-9-]{1,62}$/;
const HEX32 = /^[0-9a-f]{64}$/;
const METHOD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface Deploy {
  readonly code: string;
}
export interface Instantiate {
  readonly name: string;
  readonly codeHash: string;
  readonly manifest: Manifest;
  /** passed to the contract's exported `init`, if it has one */
  readonly args: Canonical;
}
export interface Call {
  readonly contract: string;
  readonly method: string;
  readonly args: Canonical;
  readonly gas: number;
}
export interface Upgrade {
  readonly contract: string;
  readonly codeHash: string;
  readonly manifest: Manifest;
}
export interface Freeze {
  readonly contract: string;
}
export interface Approve {
  readonly proposal: string;
}

function args(x: unknown): Canonical {
  if (x === undefined) return null;
  // the size is bounded by the transaction's own limit; the value's shape is checked by the runtime at the boundary
  return x as Canonical;
}

export function parseContractPayload(type: string, payload: Canonical): Deploy | Instantiate | Call | Upgrade | Freeze | Approve | PrivateCall | Report {
  const r = v.record(payload, 'payload');
  switch (type) {
    case 'private_call':
      return parsePrivateCall(payload);
    case 'report':
      return parseReport(payload);
    case 'deploy': {
      v.onlyKeys(r, ['code'], 'payload');
      if (typeof r.code !== 'string' || r.code.length === 0) throw new SalusError('INVALID_FIELD', 'code is the bundled contract, a non-empty string', { field: 'code' });
      if (new TextEncoder().encode(r.code).length > CODE_BYTES_MAX) throw new SalusError('OVERSIZE', `contract code is larger than ${CODE_BYTES_MAX} bytes`, { field: 'code' });
      return { code: r.code };
    }
    case 'instantiate':
      v.onlyKeys(r, ['name', 'codeHash', 'manifest', 'args'], 'payload');
      return { name: v.str(r.name, 'name', 63, CONTRACT_NAME), codeHash: v.str(r.codeHash, 'codeHash', 64, HEX32), manifest: parseManifest(r.manifest), args: args(r.args) };
    case 'call':
      v.onlyKeys(r, ['contract', 'method', 'args', 'gas'], 'payload');
      return {
        contract: v.str(r.contract, 'contract', 63, CONTRACT_NAME),
        method: v.str(r.method, 'method', 64, METHOD),
        args: args(r.args),
        gas: gas(r.gas),
      };
    case 'upgrade':
      v.onlyKeys(r, ['contract', 'codeHash', 'manifest'], 'payload');
      return { contract: v.str(r.contract, 'contract', 63, CONTRACT_NAME), codeHash: v.str(r.codeHash, 'codeHash', 64, HEX32), manifest: parseManifest(r.manifest) };
    case 'freeze':
      v.onlyKeys(r, ['contract'], 'payload');
      return { contract: v.str(r.contract, 'contract', 63, CONTRACT_NAME) };
    case 'approve':
      v.onlyKeys(r, ['proposal'], 'payload');
      return { proposal: v.str(r.proposal, 'proposal', 64, HEX32) };
    default:
      throw new SalusError('UNKNOWN_TYPE', `contracts has no transaction type "${type}"`, { type });
  }
}

function gas(x: unknown): number {
  const g = v.uint(x, 'gas', GAS_MAX);
  if (g === 0) throw new SalusError('INVALID_FIELD', 'gas must be positive', { field: 'gas' });
  return g;
}
