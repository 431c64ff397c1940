import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from '@salus/client';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memberPayload, tempDir } from './harness.js';
import { recordsWorld, type RecordsWorld } from './records-fixture.js';
import { fhirToken } from '../src/cli/fhir.js';

/** A FHIR client past its request rate gets 429 with Retry-After and an OperationOutcome; others are unaffected. */
let w: RecordsWorld;
beforeAll(async () => {
  w = await recordsWorld({ fhir: { requestsPerSecond: 2 } });
});
afterAll(async () => {
  await w.t.close();
});

async function client(name: string): Promise<string> {
  const svc = Wallet.create();
  await w.t.client.send(w.t.admin, 'identity', 'add_member', memberPayload(w.t.orgId, svc, 'service', name));
  const file = join(tempDir('salus-fhir-'), `${name}.json`);
  writeFileSync(file, JSON.stringify(svc.export()), { mode: 0o600 });
  return (await fhirToken(w.t.url, file, 'system/*.rs')).access_token;
}

describe('FHIR rate limit', () => {
  it('answers 429 with Retry-After past the per-client rate', async () => {
    const [busy, calm] = [await client('busy'), await client('calm')];
    const get = (token: string) => fetch(`${w.t.url}/fhir/R4/Organization/founding-hospital`, { headers: { authorization: `Bearer ${token}` } });
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(busy)));
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    expect(((await limited[0]!.json()) as { issue: { code: string }[] }).issue[0]!.code).toBe('throttled');
    expect((await get(calm)).status).toBe(200); // another client is not held back
  });
});
