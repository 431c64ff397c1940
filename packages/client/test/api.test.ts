import { describe, expect, it } from 'vitest';
import { SalusError, errorCatalogue, toHex, type ErrorCode } from '@salus/core';
import { SalusClient, Wallet } from '../src/index.js';

/**
 * The API client against a scripted fetch: every error a node answers becomes a SalusError with
 * the node's code (and the HTTP status in its meta); what is not a node's error shape still
 * becomes a typed error.
 */
interface Call {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

function scripted(answer: (call: Call) => { status: number; body?: unknown; text?: string }) {
  const calls: Call[] = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    const call: Call = { url, method: init.method ?? 'GET', headers: (init.headers ?? {}) as Record<string, string>, body: init.body };
    calls.push(call);
    const a = answer(call);
    return new Response(a.text ?? (a.body === undefined ? '' : JSON.stringify(a.body)), { status: a.status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
  return { calls, client: new SalusClient({ url: 'http://node.test/', fetch: fetchFn }) };
}

const nodeError = (code: string, status: number, meta: Record<string, unknown> = {}) => ({ status, body: { error: { code, message: `the node says ${code}`, meta } } });

async function caught(p: Promise<unknown>): Promise<SalusError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(SalusError);
  return e as SalusError;
}

describe('SalusClient errors', () => {
  it('maps every catalogue code a node answers to a SalusError with that code, its message and meta', async () => {
    for (const [code, { status }] of errorCatalogue() as ReadonlyMap<ErrorCode, { status: number }>) {
      const { client } = scripted(() => nodeError(code, status, { expected: 4 }));
      const e = await caught(client.nextNonce('ab'.repeat(32)));
      expect(e.code).toBe(code);
      expect(e.message).toBe(`the node says ${code}`);
      expect(e.meta).toMatchObject({ status, expected: 4 });
    }
  });

  it("keeps a module's code this process never registered, with the node's HTTP status", async () => {
    const e = await caught(scripted(() => nodeError('CONSENT_REQUIRED', 403)).client.status());
    expect(e.code).toBe('CONSENT_REQUIRED');
    expect(e.status).toBe(403);
  });

  it('a malformed code or a bare status still gives a typed error', async () => {
    expect((await caught(scripted(() => nodeError('no such code', 418)).client.status())).code).toBe('INVALID_FIELD');
    expect((await caught(scripted(() => nodeError(42 as unknown as string, 418)).client.status())).code).toBe('INVALID_FIELD');
    expect((await caught(scripted(() => ({ status: 503, body: { oops: 1 } })).client.status())).code).toBe('CORRUPT_DATA');
    expect((await caught(scripted(() => ({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } })).client.status())).code).toBe('CORRUPT_DATA');
    const html = await caught(scripted(() => ({ status: 502, text: '<html>bad gateway</html>' })).client.status());
    expect(html.code).toBe('MALFORMED_ENCODING');
    expect(html.message).toContain('502');
  });

  it('submit sends canonical bytes as application/cbor and maps a refusal', async () => {
    const w = Wallet.create();
    const { bytes } = w.buildTx({ chainId: 'c-1', nonce: 0, module: 'identity', type: 'register_patient', payload: { encryptionKey: toHex(w.encryptionPublicKey) } });
    const { client, calls } = scripted(() => nodeError('NONCE_GAP', 409, { expected: 0 }));
    const e = await caught(client.submit(bytes));
    expect(e).toMatchObject({ code: 'NONCE_GAP', meta: { status: 409, expected: 0 } });
    expect(calls[0]).toMatchObject({ url: 'http://node.test/v1/txs?wait=commit', method: 'POST', headers: { 'content-type': 'application/cbor' }, body: bytes });
  });

  it('send throws the code of a transaction that committed but failed', async () => {
    const w = Wallet.create();
    const { client, calls } = scripted((c) => {
      if (c.url.endsWith('/v1/status')) return { status: 200, body: { chainId: 'c-1', height: 3 } };
      if (c.url.includes('/v1/accounts/')) return { status: 200, body: { nextNonce: 5 } };
      return { status: 200, body: { hash: 'ab', height: 4, index: 0, status: 'committed', result: { code: 'CONFLICT', log: 'key is already registered', events: [] } } };
    });
    const e = await caught(client.send(w, 'identity', 'register_patient', { encryptionKey: toHex(w.encryptionPublicKey) }));
    expect(e).toMatchObject({ code: 'CONFLICT', message: 'key is already registered', meta: { hash: 'ab', height: 4 } });
    expect(calls.map((c) => c.url)).toEqual(['http://node.test/v1/status', `http://node.test/v1/accounts/${w.publicKeyHex}`, 'http://node.test/v1/txs?wait=commit']);
  });

  it('a failed verify report is returned, not thrown', async () => {
    const report = { ok: false, height: 3, txs: 2, error: { height: 4, object: 'header', message: 'stored block 4 does not match its hash' } };
    const { client } = scripted(() => ({ status: 500, body: report }));
    expect(await client.request('GET', '/v1/verify')).toEqual(report);
  });
});
