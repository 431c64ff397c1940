import { SalusError } from '@salus/core';
import { getOrg, keyKey, type KeyRecord, type OrgRecord } from '@salus/identity';
import type { KV } from '@salus/module';

/** Organization and Practitioner: views of the identity module's state (they change through governance and identity transactions). */
export type Served = Record<string, unknown> & { resourceType: string; id: string };

export function organization(kv: KV, id: string): Served {
  const o = getOrg(kv, id);
  if (!o) throw new SalusError('NOT_FOUND', `no Organization ${id}`);
  return orgResource(o);
}

export function orgResource(o: OrgRecord): Served {
  return { resourceType: 'Organization', id: o.id, active: true, name: o.name, type: [{ text: o.kind }] };
}

export function practitioner(kv: KV, id: string): Served {
  const k = /^[0-9a-f]{64}$/.test(id) ? (kv.get(keyKey(id)) as KeyRecord | undefined) : undefined;
  if (!k || k.role !== 'practitioner') throw new SalusError('NOT_FOUND', `no Practitioner ${id}`);
  return { resourceType: 'Practitioner', id, active: k.status === 'active', name: k.name ? [{ text: k.name }] : [], identifier: [{ system: 'urn:salus:signing-key', value: id }] };
}

export function directory(kv: KV, type: string, id: string | undefined, name: string | undefined): Served[] {
  if (id === undefined) throw new SalusError('INVALID_FIELD', `search ${type} by _id (the directory is the identity module's state, read by key)`);
  const all = id.split(',').flatMap((x) => {
    try {
      return [type === 'Organization' ? organization(kv, x) : practitioner(kv, x)];
    } catch {
      return [];
    }
  });
  return name === undefined ? all : all.filter((r) => JSON.stringify(r.name ?? '').toLowerCase().includes(name.toLowerCase()));
}

