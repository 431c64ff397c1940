// Per-call CPU of the contract runtime on the invoices contract, metered and unmetered, plus the
// fixed cost of a fresh QuickJS runtime + context against a fresh context in a shared runtime.
// Run after `npx tsc -b packages/modules/contracts`: node packages/modules/contracts/scripts/bench.mjs
import { newQuickJSWASMModule, RELEASE_SYNC } from 'quickjs-emscripten';
import { createContractRuntime } from '../dist/index.js';
import { createContractHarness } from '../dist/harness/index.js';

const N = Number(process.argv[2] ?? 2000);
const entry = new URL('../../../../contracts/invoices/invoices.ts', import.meta.url).pathname;
const payer = 'b'.repeat(64);

function cpuMs(f) {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

async function cycle(unmetered) {
  const runtime = await createContractRuntime({ unmetered });
  const h = await createContractHarness({ entry, roles: ['hospital'], runtime });
  const gas = { issue: 0, approve: 0, pay: 0, query: 0 };
  for (let i = 0; i < 200; i++) h.call('issue', { id: `warm-${i}`, payer, amount: 100 }); // warm-up (JIT)
  let calls = 0;
  const ms = cpuMs(() => {
    for (let i = 0; i < N; i++) {
      const id = `inv-${i}`;
      gas.issue = h.call('issue', { id, payer, amount: 1000 + i }).gasUsed;
      gas.approve = h.call('approve', { id }, { signer: payer }).gasUsed;
      gas.pay = h.call('pay', { id }, { signer: payer }).gasUsed;
      gas.query = h.query('balance', { provider: h.signer, payer }).gasUsed;
      calls += 4;
    }
  });
  return { perCallMs: ms / calls, gas, codeBytes: h.code.length };
}

const metered = await cycle(false);
const unmetered = await cycle(true);
console.log(`invoices contract (${metered.codeBytes} bytes bundled), ${N} x (issue, approve, pay, balance query)`);
console.log(`metered:   ${metered.perCallMs.toFixed(3)} ms CPU per call; gas ${JSON.stringify(metered.gas)}`);
console.log(`unmetered: ${unmetered.perCallMs.toFixed(3)} ms CPU per call; metering overhead ${((metered.perCallMs / unmetered.perCallMs - 1) * 100).toFixed(1)}%`);

const Q = await newQuickJSWASMModule(RELEASE_SYNC);
const shared = Q.newRuntime();
for (let i = 0; i < 200; i++) shared.newContext().dispose();
const fresh = cpuMs(() => {
  for (let i = 0; i < N; i++) {
    const rt = Q.newRuntime();
    rt.newContext().dispose();
    rt.dispose();
  }
}) / N;
const ctxOnly = cpuMs(() => {
  for (let i = 0; i < N; i++) shared.newContext().dispose();
}) / N;
console.log(`set-up alone: fresh runtime + context ${fresh.toFixed(3)} ms; fresh context in a shared runtime ${ctxOnly.toFixed(3)} ms`);
