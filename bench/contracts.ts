// Contract execution cost per validator: the CPU one validator spends executing a contract call
// (the invoices contract's `issue`, about 130 lines) through the real module manager, beside a
// native module transaction (identity's register_patient) measured in the same run, both with
// their signature checks: in blocks of 50 calls (the block's first call sets up the contract's
// sandbox, the others reuse it) and in blocks of one call (every call sets one up). Then the call
// alone in the contract harness, in a new sandbox per call (cold: queries' misses, private
// execution) and in a reused one (warm), each metered and unmetered (the metering overhead).
// Run: npm run bench:contracts [-- --calls 2000]. Prints one JSON object.
import { generateIdentityKeys, toHex, type Canonical, type IdentityKeys } from '@salus/core';
import { createModuleHarness, type ModuleHarness } from '@salus/module';
import { identityModule } from '@salus/identity';
import { bundleContract, contractsModule, createContractRuntime } from '@salus/contracts';
import { createContractHarness } from '@salus/contracts/harness';
import { createNativeEd25519 } from '@salus/node';

const flag = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CALLS = flag('calls', 2000);
// compiled to bench/out/ts/: the project's root is three folders up
const ENTRY = new URL('../../../contracts/invoices/invoices.ts', import.meta.url).pathname;

function cpuUs(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return d.user + d.system;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const admin = generateIdentityKeys();
  // the node's native Ed25519, as a validator verifies signatures
  const h: ModuleHarness = createModuleHarness({
    ed: createNativeEd25519(),
    modules: [identityModule, contractsModule],
    genesis: {
      chainId: 'salus-bench',
      genesisTime: 1_700_000_000_000,
      organisations: [{ id: 'hospital-1', name: 'Hospital', kind: 'hospital', adminKey: toHex(admin.signing.publicKey), encryptionKey: toHex(admin.encryption.publicKey) }],
      validators: [{ pubKey: toHex(generateIdentityKeys().signing.publicKey), power: 10, org: 'hospital-1' }],
    },
  });
  const { code, codeHash } = await bundleContract({ entry: ENTRY });
  const send = (type: string, payload: Record<string, unknown>, signer: IdentityKeys = admin) => {
    const r = h.exec({ signer, module: 'contracts', type, payload: payload as Canonical });
    if (r.code !== 'OK') fail(`${type}: ${r.code} ${r.log}`);
    return r;
  };
  send('deploy', { code });
  send('instantiate', { name: 'invoices', codeHash, manifest: { name: 'invoices', version: '1', methods: { issue: { kind: 'call' } }, upgrade: { policy: 'owner' } } });
  const payer = 'b'.repeat(64);
  // blocks of 50 transactions, as a validator executes them; signatures checked in execution (not cached from admission)
  const rounds = Math.max(1, Math.floor(CALLS / 50));
  const contractUs: number[] = [];
  const singleUs: number[] = [];
  const nativeUs: number[] = [];
  let gas = 0;
  let n = 0;
  const issue = (nonce: number) => h.sign({ signer: admin, module: 'contracts', type: 'call', nonce, payload: { contract: 'invoices', method: 'issue', args: { id: `inv-${n++}`, payer, amount: 1000 }, gas: 1_000_000 } }).tx;
  for (let r = 0; r < rounds; r++) {
    let nonce = h.app.nextNonce(h.view(), toHex(admin.signing.publicKey));
    const txs = Array.from({ length: 50 }, () => issue(nonce++));
    let results: ReturnType<ModuleHarness['block']> = [];
    contractUs.push(cpuUs(() => void (results = h.block(...txs))) / txs.length);
    if (results.some((x) => x.code !== 'OK')) fail(`contract call failed: ${JSON.stringify(results.find((x) => x.code !== 'OK'))}`);
    gas = results[0]!.gasUsed ?? 0;
    // a block with one call: its sandbox is set up for it alone
    const one = issue(nonce++);
    singleUs.push(cpuUs(() => void (results = h.block(one))));
    if (results[0]!.code !== 'OK') fail(`contract call failed: ${JSON.stringify(results[0])}`);
    const patients = Array.from({ length: 50 }, () => {
      const k = generateIdentityKeys();
      return h.sign({ signer: k, module: 'identity', type: 'register_patient', payload: { encryptionKey: toHex(k.encryption.publicKey) } }).tx;
    });
    nativeUs.push(cpuUs(() => void h.block(...patients)) / patients.length);
  }
  // the call alone: a new sandbox per call (cold) and a reused one (warm, as in a block), metered and unmetered
  const harness: Record<string, number> = {};
  for (const unmetered of [false, true]) {
    const runtime = await createContractRuntime({ unmetered });
    const blocks = runtime.blockScoped();
    for (const [mode, rt] of [['cold', runtime], ['warm', blocks]] as const) {
      const ch = await createContractHarness({ entry: ENTRY, roles: ['hospital'], runtime: rt });
      // the warm harness's calls are all at the open block's height
      blocks.beginBlock(ch.height);
      const calls = mode === 'cold' ? Math.max(100, Math.floor(CALLS / 4)) : CALLS;
      for (let i = 0; i < 100; i++) ch.call('issue', { id: `w-${i}`, payer, amount: 1 });
      const us = cpuUs(() => {
        for (let i = 0; i < calls; i++) ch.call('issue', { id: `m-${i}`, payer, amount: 1 });
      });
      blocks.endBlock();
      harness[`${mode}_${unmetered ? 'unmetered' : 'metered'}_us_per_call`] = Math.round(us / calls);
    }
  }
  const contract = Math.round(median(contractUs));
  const native = Math.round(median(nativeUs));
  const ratio = (mode: string) => Number((harness[`${mode}_metered_us_per_call`]! / harness[`${mode}_unmetered_us_per_call`]!).toFixed(3));
  console.log(
    JSON.stringify(
      {
        bench: 'contracts',
        calls: rounds * 50,
        contract_call_cpu_us_per_validator: contract,
        contract_call_alone_in_block_cpu_us: Math.round(median(singleUs)),
        native_tx_cpu_us_per_validator: native,
        contract_over_native: Number((contract / native).toFixed(2)),
        target_contract_call_cpu_us: 1000,
        contract_gas_per_call: gas,
        ...harness,
        metering_overhead_ratio_cold: ratio('cold'),
        metering_overhead_ratio_warm: ratio('warm'),
      },
      null,
      2,
    ),
  );
}

await main();
