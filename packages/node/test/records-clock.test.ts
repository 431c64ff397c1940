import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from '@salus/client';
import { memberPayload } from './harness.js';
import { waitFor } from './net-harness.js';
import { fakeClock } from './fake-clock.js';
import { fhirTokenFor } from '../src/cli/fhir.js';
import { defaultRecordsOptions } from '@salus/records';
import { recordsWorld, rejection, type RecordsWorld } from './records-fixture.js';

/**
 * One clock drives a node (node.ts injects it into consensus, records, the FHIR facade and request
 * authentication): moving a fake one expires FHIR bearer tokens and signed records requests with
 * no sleep, and consensus keeps committing across the jump.
 */
let w: RecordsWorld;
const clock = fakeClock();
const service = Wallet.create();
beforeAll(async () => {
  w = await recordsWorld({}, clock);
  await w.t.client.send(w.t.admin, 'identity', 'add_member', memberPayload(w.t.orgId, service, 'service', 'EHR integration'));
});
afterAll(async () => {
  await w.t.close();
});

describe("time on the node's clock", () => {
  it('a FHIR bearer token is refused once the clock passes its expiry', async () => {
    const { access_token, expires_in } = await fhirTokenFor(w.t.url, service, 'system/*.rs');
    const read = () => fetch(`${w.t.url}/fhir/R4/Organization/founding-hospital`, { headers: { authorization: `Bearer ${access_token}` } });
    expect((await read()).status).toBe(200);
    clock.advance(expires_in * 1000 + 1000);
    const r = await read();
    expect(r.status).toBe(401);
    expect(((await r.json()) as { issue: { details: { text: string } }[] }).issue[0]!.details.text).toBe('REQUEST_EXPIRED');
  });

  it('a signed records request is REQUEST_EXPIRED past the allowed skew; one signed at the node’s time is served', async () => {
    // the clock moved 301 s above: further than the 300 s a request's `at` may differ from it
    expect(clock.offset).toBeGreaterThan(defaultRecordsOptions.requestSkewMs);
    expect((await rejection(w.patient.list(w.pid, 'patient-request'))).code).toBe('REQUEST_EXPIRED');
    const path = `/v1/records/patients/${w.pid}/records`;
    const authorization = w.wallets.patient.authorization('salus-test', { method: 'GET', path, purpose: 'patient-request', bodyHash: '', aud: w.t.node.nodeId, at: clock.now() });
    expect(await w.t.client.request('GET', path, { headers: { authorization } })).toMatchObject({ patient: w.pid, versions: [] });
  });

  it('consensus commits after the jump, with block times from the moved clock', async () => {
    const height = w.t.node.chain.lastHeight();
    await waitFor(() => w.t.node.chain.lastHeight() > height + 1, 10_000, 'blocks after the jump');
    expect(w.t.node.chain.lastHeader()!.time).toBeGreaterThan(Date.now() + defaultRecordsOptions.requestSkewMs);
    // and a transaction submitted now commits
    await w.t.client.send(w.t.admin, 'identity', 'add_member', memberPayload(w.t.orgId, Wallet.create(), 'service', 'after the jump'));
  });
});
