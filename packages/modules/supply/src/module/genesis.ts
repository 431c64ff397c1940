import { SalusError, v } from '@salus/core';
import type { Genesis, KV } from '@salus/module';
import { PREFIX } from './payloads.js';
import { requireFreePrefix } from './handlers.js';
import { prefixKey } from './state.js';

/**
 * genesis.modules.supply: `{ "prefixes": { "<org>": ["<GS1 company prefix>", ...] } }`, the
 * company prefixes GS1 assigned to the founding organisations (more are registered later by a
 * regulator's `supply/register_prefix`).
 */
export function parseSupplyGenesis(section: unknown, genesis: Genesis): [string, string][] {
  if (section === undefined) return [];
  const r = v.record(section, 'genesis.modules.supply');
  v.onlyKeys(r, ['prefixes'], 'genesis.modules.supply');
  const by = v.record(r.prefixes ?? {}, 'genesis.modules.supply.prefixes');
  const out: [string, string][] = [];
  for (const [org, list] of Object.entries(by)) {
    if (!genesis.organisations.some((o) => o.id === org)) throw new SalusError('CONFIG', `genesis.modules.supply.prefixes names unknown organisation ${org}`);
    for (const [i, p] of v.list(list, `prefixes.${org}`, 1000).entries()) out.push([v.str(p, `prefixes.${org}[${i}]`, 12, PREFIX), org]);
  }
  return out;
}

export function initSupplyGenesis(kv: KV, entries: readonly [string, string][]): void {
  for (const [prefix, org] of entries) {
    requireFreePrefix(kv, prefix);
    kv.set(prefixKey(prefix), org);
  }
}
