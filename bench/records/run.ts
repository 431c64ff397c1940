// The records benchmark as a function: encrypted health records through the SDK (RecordsClient)
// against 4 validators as 4 real processes on this machine (`salus start --home` on homes made by
// initLocalnet; Tendermint BFT over mutual-TLS loopback links, FAST timeouts). Signing is native in
// every wallet and in the nodes. Phases: write (write-phase.ts), read (read-phase.ts), consent
// (consent-phase.ts). Writes <out>/records.json and returns the result.
import { mkdirSync } from 'node:fs';
import { createNativeEd25519, createNativeKeyWrap } from '../lib/native-crypto.js';
import { fail, log } from '../lib/cli.js';
import { logLevelOf, startFastLocalnet, startLocalnetBench, stopFastLocalnet } from '../lib/localnet.js';
import { loadavgLine } from '../lib/machine.js';
import { figureSummary, localnetResult, setFiguresAndLoad, writeResultFile, type LocalnetResult } from '../lib/results.js';
import { clientCryptoCost } from './client-crypto.js';
import { consentPhase, type ConsentPhase } from './consent-phase.js';
import { fhirDoc } from './fhir-doc.js';
import { recordsFigures } from './figures.js';
import type { RecordsFlags } from './flags.js';
import { setUpParties } from './parties.js';
import { readPhase, type ReadPhase } from './read-phase.js';
import { writePhase, type WritePhase } from './write-phase.js';

export interface RecordsResult extends LocalnetResult {
  phases: { write: WritePhase; read: ReadPhase; consent: ConsentPhase };
}

export async function runRecords(flags: RecordsFlags): Promise<RecordsResult> {
  if (flags.readNode < 0 || flags.readNode > 3) fail('--read-node must be 0 to 3');
  if (flags.writers < 1 || flags.readers < 1 || flags.readProcs < 1 || flags.patients < 1 || flags.rounds < 1) fail('--writers, --readers, --read-procs, --patients and --rounds must be at least 1');
  logLevelOf(flags.logLevel);
  mkdirSync(flags.out, { recursive: true });
  const kw = flags.webHpke ? undefined : createNativeKeyWrap();

  // cleanup of everything started here, also on failure and on a signal
  const { dir, track, cleanup, meter, mach } = startLocalnetBench({ prefix: 'salus-bench-records-', keep: flags.keep, tag: 'records' });
  try {
    const clientCrypto = await clientCryptoCost(flags.docBytes, kw, flags.webHpke);
    log(`[records] client crypto CPU per op: sign ${clientCrypto.sign_request} ms, unwrap+decrypt ${clientCrypto.unwrap_and_decrypt} ms, encrypt to 6 ${clientCrypto.encrypt_to_6_recipients} ms`);

    // 1. the network, 2. the parties
    const net = await startFastLocalnet({ dir, track, tag: 'records', logLevel: flags.logLevel, cpuProfNode: flags.cpuProfNode, cpuProfDir: flags.cpuProfDir });
    log('[records] 4 validators committing');
    const parties = await setUpParties(net, flags, createNativeEd25519(), kw);
    const docJsonBytes = Buffer.byteLength(JSON.stringify(fhirDoc(flags.docBytes, 'probe')));
    const head = localnetResult({
      bench: 'records',
      description: 'encrypted FHIR records through the SDK (RecordsClient) against 4 validator processes on loopback (Tendermint BFT, FAST timeouts)',
      mach,
      flags,
      orgs: net.orgs,
      setup: {
        signing: 'native Ed25519 (createNativeEd25519) in wallets and nodes',
        client: 'SalusClient/RecordsClient from packages/client/dist (global fetch, keep-alive)',
        fhir_resource: { resourceType: 'Observation', json_bytes: docJsonBytes },
        patients_write_phase: flags.patients,
        practitioners: { writers: flags.writers, readers: parties.readerWallets.length, consent_author: 1, consent_reader: 1 },
        read_node: flags.readNode,
        read_org: net.orgs[parties.readOrgIdx],
      },
    });

    // 3. write, 4. read (and the HTTP ceiling beside it), 5. consent
    const { phase: write, writes } = await writePhase(net, parties, flags, docJsonBytes);
    const { phase: read, loadProcCpuS } = await readPhase(net, parties, flags, writes, clientCrypto, track);
    const consent = await consentPhase(net, parties, flags);
    const result: RecordsResult = { ...head, phases: { write, read, consent } };

    // 6. stop
    const validatorCpuS = await stopFastLocalnet(net, 'records', result);
    const fig = recordsFigures(flags, write, read, consent, docJsonBytes);
    const loadNote = 'bench_busy_cores counts this process, its load clients and the 4 validators; others_busy_cores is the rest of the machine';
    const load = setFiguresAndLoad({ result, fig, crashes: net.crashes, meter, validatorCpuS, extraCpuS: loadProcCpuS, note: loadNote });
    load.loadavg_at_end = loadavgLine();
    result.summary = figureSummary(fig);
    writeResultFile(result, flags.out, 'records');
    return result;
  } finally {
    cleanup();
  }
}
