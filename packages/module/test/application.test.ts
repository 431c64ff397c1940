import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SalusError, generateIdentityKeys, registerErrors, toHex, v, type Canonical, type CodesOf } from '@salus/core';
import { Application, createModuleHarness, defaultGenesis, type AppModule, type TxContext } from '../src/index.js';

/**
 * The module manager, tested through the in-process harness with modules defined here only:
 * routing, admission, atomic transactions, genesis sections, block hooks, authentication and the
 * checks that keep modules apart.
 */
const COUNTER_ERRORS = registerErrors('counter-test', {
  COUNTER_LIMIT: { status: 422, title: 'The counter would pass its limit.' },
});
declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof COUNTER_ERRORS> {}
}

function parseAdd(payload: Canonical): { name: string; by: number } {
  const r = v.record(payload, 'payload');
  v.onlyKeys(r, ['name', 'by'], 'payload');
  return { name: v.str(r.name, 'name', 32, /^[a-z]+$/), by: v.uint(r.by, 'by', 1000) };
}

const counter: AppModule = {
  name: 'counter',
  txs: {
    types: { add: { summary: 'adds to a counter', open: true }, add_then_fail: { summary: 'writes, then fails' } },
    check: (_type, payload) => void parseAdd(payload),
    deliver(ctx: TxContext, type, payload) {
      const { name, by } = parseAdd(payload);
      const key = `counter/${name}`;
      const next = ((ctx.state.get(key) as number | undefined) ?? 0) + by;
      const limit = ctx.state.get('counter/_limit') as number;
      ctx.state.set(key, next);
      ctx.emit('counter.added', { name, value: next });
      if (next > limit) throw new SalusError('COUNTER_LIMIT', `${name} would reach ${next}, past ${limit}`);
      if (type === 'add_then_fail') throw new SalusError('FORBIDDEN', 'fails after writing');
    },
  },
  genesis: {
    validate(section) {
      const r = v.record(section, 'genesis.modules.counter');
      v.onlyKeys(r, ['limit'], 'genesis.modules.counter');
      v.uint(r.limit, 'limit');
    },
    init: (kv, section) => kv.set('counter/_limit', (section as { limit: number }).limit),
  },
  errors: COUNTER_ERRORS,
  endBlock: (ctx) => (ctx.height === 3 ? { nextValidators: [{ pubKey: new Uint8Array(32).fill(7), power: 1 }] } : undefined),
};

/** Only keys it registered sign its non-open types. */
const gate: AppModule = {
  name: 'gate',
  txs: {
    types: { register: { summary: 'self-registration', open: true } },
    check: () => undefined,
    deliver: (ctx) => ctx.state.set(`gate/${ctx.signerHex}`, true),
  },
  authenticate: (kv, signerHex) => kv.get(`gate/${signerHex}`) === true,
};

function genesisWith(modules: Record<string, unknown>) {
  return { ...defaultGenesis(), modules };
}

describe('the module manager (Application) through the harness', () => {
  const alice = generateIdentityKeys();

  it('routes, executes atomically, spends the nonce of a failed transaction, and records events', () => {
    const h = createModuleHarness({ modules: [counter], genesis: genesisWith({ counter: { limit: 10 } }) });
    expect(h.exec({ signer: alice, module: 'counter', type: 'add', payload: { name: 'a', by: 4 } })).toEqual({ code: 'OK', log: '', events: [{ type: 'counter.added', attributes: { name: 'a', value: 4 } }] });
    const [ok, failed, limit] = h.block(
      { signer: alice, module: 'counter', type: 'add', payload: { name: 'a', by: 1 } },
      { signer: alice, module: 'counter', type: 'add_then_fail', payload: { name: 'a', by: 1 } },
      { signer: alice, module: 'counter', type: 'add', payload: { name: 'a', by: 6 } },
    );
    expect(ok!.code).toBe('OK');
    expect(failed).toMatchObject({ code: 'FORBIDDEN', events: [] });
    expect(limit).toMatchObject({ code: 'COUNTER_LIMIT' });
    expect(h.view().get('counter/a')).toBe(5);
    expect(h.app.nextNonce(h.view(), toHex(alice.signing.publicKey))).toBe(4);
  });

  it('refuses unknown modules and types, and bad payloads, at admission with typed errors', () => {
    const h = createModuleHarness({ modules: [counter], genesis: genesisWith({ counter: { limit: 10 } }) });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as SalusError).code;
      }
      return 'OK';
    };
    expect(code(() => h.check({ signer: alice, module: 'nope', type: 'add', payload: {} }))).toBe('UNKNOWN_MODULE');
    expect(code(() => h.check({ signer: alice, module: 'counter', type: 'constructor', payload: {} }))).toBe('UNKNOWN_TYPE');
    expect(code(() => h.check({ signer: alice, module: 'counter', type: 'add', payload: { name: 'a', by: -1 } }))).toBe('INVALID_FIELD');
    expect(code(() => h.check({ signer: alice, module: 'counter', type: 'add', payload: { name: 'a', by: 1 }, nonce: 5 }))).toBe('NONCE_GAP');
    expect(code(() => h.check({ signer: alice, module: 'counter', type: 'add', payload: { name: 'a', by: 1 } }))).toBe('OK');
  });

  it("checks each module's genesis section, and refuses a section no installed module takes", () => {
    expect(() => createModuleHarness({ modules: [counter], genesis: genesisWith({ counter: { limit: -1 } }) })).toThrow(SalusError);
    expect(() => createModuleHarness({ modules: [counter], genesis: genesisWith({ counter: { limit: 1 }, claims: {} }) })).toThrow(/claims/);
    expect(() => createModuleHarness({ modules: [counter], genesis: genesisWith({}) })).toThrow(SalusError);
  });

  it('returns the validator set an end-of-block hook decides, and only one module may decide it', () => {
    const h = createModuleHarness({ modules: [counter], genesis: genesisWith({ counter: { limit: 10 } }) });
    const before = h.nextValidators;
    h.block();
    h.block();
    expect(h.nextValidators).toBe(before);
    h.block();
    expect(h.nextValidators).toEqual([{ pubKey: new Uint8Array(32).fill(7), power: 1 }]);
    const twice: AppModule = { name: 'twice', endBlock: () => ({ nextValidators: [{ pubKey: new Uint8Array(32), power: 1 }] }) };
    const h2 = createModuleHarness({ modules: [counter, twice], genesis: genesisWith({ counter: { limit: 10 } }) });
    h2.block();
    h2.block();
    expect(() => h2.block()).toThrow(/second module/);
  });

  it('an authenticating module decides who may sign a type that is not open', () => {
    const h = createModuleHarness({ modules: [gate, { ...counter, txs: { ...counter.txs!, types: { add: { summary: 'closed' } } } }], genesis: genesisWith({ counter: { limit: 10 } }) });
    expect(h.exec({ signer: alice, module: 'counter', type: 'add', payload: { name: 'a', by: 1 } }).code).toBe('UNREGISTERED_SIGNER');
    expect(h.exec({ signer: alice, module: 'gate', type: 'register', payload: {} }).code).toBe('OK');
    expect(h.exec({ signer: alice, module: 'counter', type: 'add', payload: { name: 'a', by: 1 } }).code).toBe('OK');
  });

  it('records the gas a metering module reports, also when the transaction fails, and only then', () => {
    const metered: AppModule = {
      name: 'metered',
      txs: {
        types: { work: { summary: 'meters', open: true } },
        check: () => undefined,
        deliver(ctx, _type, payload) {
          const { n } = payload as { n: number };
          ctx.state.set('metered/last', n);
          if (n > 5) throw new SalusError('FORBIDDEN', 'too much work', { gasUsed: 500 });
          ctx.reportGas(n * 100);
        },
      },
    };
    const h = createModuleHarness({ modules: [metered, counter], genesis: genesisWith({ counter: { limit: 10 } }) });
    const [ok, over, plain] = h.block(
      { signer: alice, module: 'metered', type: 'work', payload: { n: 3 } },
      { signer: alice, module: 'metered', type: 'work', payload: { n: 9 } },
      { signer: alice, module: 'counter', type: 'add', payload: { name: 'a', by: 1 } },
    );
    expect(ok).toEqual({ code: 'OK', log: '', events: [], gasUsed: 300 });
    expect(over).toEqual({ code: 'FORBIDDEN', log: 'too much work', events: [], gasUsed: 500 });
    expect(plain).not.toHaveProperty('gasUsed');
    expect(h.view().get('metered/last')).toBe(3);
  });

  it("admission runs a module's admit hook instead of deliver when it has one; the block runs deliver", () => {
    let delivered = 0;
    const costly: AppModule = {
      name: 'costly',
      txs: {
        types: { work: { summary: 'expensive in the block only', open: true } },
        check: () => undefined,
        admit: (ctx, _type, payload) => {
          if ((payload as { ok: boolean }).ok !== true) throw new SalusError('FORBIDDEN', 'refused at admission');
        },
        deliver: (ctx) => {
          delivered++;
          ctx.state.set('costly/done', true);
        },
      },
    };
    const h = createModuleHarness({ modules: [costly] });
    expect(() => h.check({ signer: alice, module: 'costly', type: 'work', payload: { ok: false } })).toThrow(/refused at admission/);
    h.check({ signer: alice, module: 'costly', type: 'work', payload: { ok: true } });
    expect(delivered).toBe(0);
    expect(h.block({ signer: alice, module: 'costly', type: 'work', payload: { ok: true }, nonce: 0 })[0]!.code).toBe('OK');
    expect(delivered).toBe(1);
  });

  it('refuses two modules of one name, overlapping state prefixes and malformed names', () => {
    const make = (modules: AppModule[]) => new Application({ chainId: 'c', modules, ed: createModuleHarness({ modules: [] }).ed, committed: { getRaw: () => undefined } });
    expect(() => make([counter, counter])).toThrow(/two modules/);
    expect(() => make([counter, { name: 'counters', statePrefix: 'counter/x' }])).toThrow(/overlaps/);
    expect(() => make([{ name: 'auth' }])).toThrow(/overlaps/);
    expect(() => make([{ name: 'Bad Name' }])).toThrow(/lower-case/);
  });

  it('any sequence of adds leaves the sum of the successful ones, whatever fails (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ by: fc.integer({ min: 0, max: 6 }), fail: fc.boolean() }), { maxLength: 12 }), (ops) => {
        const h = createModuleHarness({ modules: [counter], genesis: genesisWith({ counter: { limit: 20 } }) });
        let sum = 0;
        for (const op of ops) {
          const r = h.exec({ signer: alice, module: 'counter', type: op.fail ? 'add_then_fail' : 'add', payload: { name: 'p', by: op.by } });
          if (r.code === 'OK') sum += op.by;
          else expect(op.fail || sum + op.by > 20).toBe(true);
        }
        expect((h.view().get('counter/p') as number | undefined) ?? 0).toBe(sum);
      }),
      { numRuns: 60 },
    );
  });
});
