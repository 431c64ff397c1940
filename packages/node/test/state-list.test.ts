import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { utf8ToBytes } from '@salus/core';
import { compareKeys } from '@salus/module';
import { createLedger } from './ledger-harness.js';
import { BACKENDS, usePgCluster } from './pg-fixture.js';

const pg = usePgCluster();

/** The state store's range read (the ordered primary key of either backend) agrees with a sorted model. */
describe.each(BACKENDS)('StateStore.list (%s)', (backend) => {
  it('returns the committed entries under a prefix in byte order, after a key, up to a limit (property)', () => {
    const ledger = createLedger({ orgs: 1, db: pg.openFresh(backend) });
    try {
      const keys = ['t/a', 't/a/1', 't/a/2', 't/ab', 't/b', 't/\u{1f600}', 't/\uff61', 'u/a'];
      ledger.state.commit(ledger.state.version + 1, keys.map((k, i) => ({ key: utf8ToBytes(k), value: Uint8Array.of(i) })));
      const store = ledger.state;
      fc.assert(
        fc.property(fc.constantFrom('t/', 't/a', 't/a/', 'u/', 'v/', 't/\u{1f600}'), fc.option(fc.constantFrom(...keys, 's/z', 't/'), { nil: undefined }), fc.integer({ min: 0, max: 9 }), (prefix, after, limit) => {
          const got = store.list(utf8ToBytes(prefix), after === undefined ? undefined : utf8ToBytes(after), limit).map((e) => new TextDecoder().decode(e.key));
          const want = keys
            .filter((k) => k.startsWith(prefix) && (after === undefined || compareKeys(k, after) > 0))
            .sort(compareKeys)
            .slice(0, limit);
          expect(got).toEqual(want);
        }),
        { numRuns: 200 },
      );
    } finally {
      ledger.close();
    }
  });
});
