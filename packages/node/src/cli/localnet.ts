import type { Command } from 'commander';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SalusError } from '@salus/core';
import { Wallet } from '@salus/client';
import { initLocalnet, localnetExists, localnetHome } from '../config/localnet.js';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';
import { createNativeKeyWrap } from '../crypto/native-hpke.js';
import { seedDemo, type DemoSummary } from '../demo/seed.js';
import { seedAnchors } from '../demo/anchors.js';
import { seedSupply, supplyDemoLines } from '../demo/supply.js';
import { parseGenesis } from '@salus/module';
import { runChains } from './localnet-chains.js';

export const LOCALNET_DIR = '.salus/localnet';
const MAIN = join(fileURLToPath(new URL('.', import.meta.url)), 'main.js');

interface Running {
  readonly index: number;
  readonly home: string;
  readonly child: ChildProcess;
  url?: string;
  p2p?: string;
}

/** Starts one node process and resolves with its API and p2p addresses, read from what it prints. */
function startNode(index: number, home: string): Promise<Running> {
  const log = openSync(join(home, 'node.log'), 'a');
  const child = spawn(process.execPath, [MAIN, 'start', '--home', home], { stdio: ['ignore', 'pipe', log] });
  const r: Running = { index, home, child };
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /API\s+(\S+)\/v1\/status/.exec(out)?.[1];
      if (url && !r.url) {
        r.url = url;
        r.p2p = /P2P\s+(\S+),/.exec(out)?.[1];
        resolve(r);
      }
    });
    child.once('exit', (code) => {
      if (!r.url) reject(new SalusError('CONFIG', `node ${index} exited with code ${code} before serving; see ${join(home, 'node.log')}`));
    });
  });
}

export function registerLocalnet(program: Command): void {
  program
    .command('localnet')
    .description('Run a local network: N validator processes on loopback, each with its own keys, data directory and API; running it again resumes the same chain')
    .option('--dir <dir>', 'directory of the nodes\' homes', LOCALNET_DIR)
    .option('--validators <n>', 'number of validators (when creating the network; per chain with --chains, default 2 then)')
    .option('--chains <n>', 'several independent chains joined by custody channels, a relayer and a demo transfer each way (in --dir, default .salus/localnet-chains)', '1')
    .option('--chain-id <id>', 'chain id (when creating the network)', 'salus-localnet')
    .option('--api-port <port>', 'API port of node 0; node i listens on this + i', '26657')
    .option('--p2p-port <port>', 'p2p port of node 0; node i listens on this + i', '26756')
    .option('--demo-patients <n>', 'synthetic patients with records to create on first start (0: none)', '100')
    .action(async (o: { dir: string; validators?: string; chains: string; chainId: string; apiPort: string; p2pPort: string; demoPatients: string }) => {
      if (Number(o.chains) > 1) {
        const dir = o.dir === LOCALNET_DIR ? `${LOCALNET_DIR}-chains` : o.dir;
        return runChains({ dir, chains: Number(o.chains), validators: Number(o.validators ?? 2), chainId: o.chainId, apiPortBase: Number(o.apiPort), p2pPortBase: Number(o.p2pPort) }, startNode);
      }
      if (!localnetExists(o.dir)) {
        initLocalnet({ dir: o.dir, validators: Number(o.validators ?? 4), chainId: o.chainId, apiPortBase: Number(o.apiPort), p2pPortBase: Number(o.p2pPort) });
      }
      const homes = readdirSync(o.dir)
        .filter((f) => /^node\d+$/.test(f))
        .map((f) => Number(f.slice(4)))
        .sort((a, b) => a - b)
        .map((i) => ({ index: i, home: localnetHome(o.dir, i) }));
      const nodes = await Promise.all(homes.map((h) => startNode(h.index, h.home)));
      let stopping = false;
      for (const n of nodes) {
        n.child.once('exit', (code, signal) => {
          if (!stopping) process.stdout.write(`node ${n.index} exited (${signal ?? code}); the others go on. Restart it with: npx salus start --home ${n.home}\n`);
        });
      }
      const admin = (home: string) => readdirSync(join(home, 'keys')).find((f) => f.endsWith('-admin.json'));
      process.stdout.write(
        [
          `Salus local network: ${nodes.length} validators on loopback (Tendermint BFT, tolerates ${Math.floor((nodes.length - 1) / 3)} faulty)`,
          ...nodes.map((n) => `  node ${n.index}  API ${n.url}  p2p ${n.p2p}  home ${n.home}  admin key ${join(n.home, 'keys', admin(n.home) ?? '?')}`),
          `Try:`,
          `  curl ${nodes[0]!.url}/v1/status`,
          `  curl ${nodes[0]!.url}/v1/blocks/latest`,
          `  OpenAPI ${nodes[0]!.url}/docs · metrics ${nodes[0]!.url}/metrics · logs ${join(o.dir, 'node*/node.log')}`,
          `Stop with Ctrl-C; run again to resume the same chain.`,
          '',
        ].join('\n'),
      );
      const shutdown = () => {
        if (stopping) return;
        stopping = true;
        let left = nodes.length;
        for (const n of nodes) {
          if (n.child.exitCode !== null || n.child.signalCode !== null) {
            if (--left === 0) process.exit(0);
            continue;
          }
          n.child.once('exit', () => {
            if (--left === 0) process.exit(0);
          });
          n.child.kill('SIGTERM');
        }
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      await demo(o.dir, nodes, Number(o.demoPatients));
    });
}

/** The founding organisations with their nodes' URLs and admin wallets (organisation i runs node i). */
function demoOrgs(dir: string, nodes: readonly Running[]) {
  const genesis = parseGenesis(JSON.parse(readFileSync(join(nodes[0]!.home, 'genesis.json'), 'utf8')));
  const ed = createNativeEd25519();
  const kw = createNativeKeyWrap();
  return genesis.organisations.map((g, i) => {
    const n = nodes[i % nodes.length]!;
    return { id: g.id, kind: g.kind, url: n.url!, admin: Wallet.import(JSON.parse(readFileSync(join(localnetHome(dir, i), 'keys', `${g.id}-admin.json`), 'utf8')), ed, kw) };
  });
}

/** Demo data on first start (in <dir>/demo), and ready-to-use commands for it on every start. */
async function demo(dir: string, nodes: readonly Running[], patients: number): Promise<void> {
  const demoDir = join(dir, 'demo');
  const file = join(demoDir, 'demo.json');
  let summary: DemoSummary;
  if (existsSync(file)) summary = JSON.parse(readFileSync(file, 'utf8')) as DemoSummary;
  else {
    if (!Number.isSafeInteger(patients) || patients < 0) throw new SalusError('CONFIG', '--demo-patients must be a whole number');
    if (patients === 0) return;
    const orgs = demoOrgs(dir, nodes);
    process.stdout.write(`Creating demo data: ${patients} synthetic patients with encrypted records (about ${Math.ceil(patients / 2)} s)…\n`);
    const started = Date.now();
    summary = await seedDemo(orgs, { patients, seed: 20261125, dir: demoDir }, (m) => process.stdout.write(`  ${m}\n`));
    process.stdout.write(`Demo data ready in ${Math.round((Date.now() - started) / 1000)} s.\n`);
  }
  if (!summary.anchors && summary.patients.length > 0) {
    // a network whose demo data predates anchoring: its demo readings are anchored now
    const hospital = demoOrgs(dir, nodes).find((x) => x.id === summary.hospital);
    const anchors = hospital ? await seedAnchors({ url: hospital.url, org: hospital.id, admin: hospital.admin, dir: demoDir }) : undefined;
    if (anchors) writeFileSync(file, JSON.stringify((summary = { ...summary, anchors }), null, 2) + '\n');
  }
  if (!summary.supply && summary.patients.length > 0) {
    // the drug supply chain (on first start, or on a network whose demo data predates it)
    process.stdout.write('Creating the drug traceability demo…\n');
    const supply = await seedSupply(demoOrgs(dir, nodes), { dir: demoDir }).catch((e: unknown) => void process.stdout.write(`  the traceability demo was not created: ${(e as Error).message}\n`));
    if (supply) writeFileSync(file, JSON.stringify((summary = { ...summary, supply }), null, 2) + '\n');
  }
  const p = summary.patients[0];
  if (!p) return;
  const obs = p.records.find((r) => r.type === 'Observation') ?? p.records[0]!;
  const dr = summary.practitioners[0]!;
  const hospitalKey = join(dir, `node0`, 'keys', `${summary.hospital}-admin.json`);
  process.stdout.write(
    [
      `Demo: ${summary.patients.length} patients (key files ${join(dir, 'demo', 'patients')}), practitioners of ${summary.hospital} and others (${join(dir, 'demo', 'keys')}); all in ${join(dir, 'demo', 'demo.json')}`,
      `  npx salus records list --key ${p.keyFile}                          # patient ${p.patient}: their records`,
      `  npx salus records read ${obs.record} --key ${p.keyFile}        # decrypted in the CLI`,
      `  npx salus records read ${obs.record} --key ${dr.keyFile} --org-key ${hospitalKey}   # as the hospital`,
      `  npx salus records disclosures --key ${p.keyFile}                   # every read and write, proven`,
      `  curl ${nodes[0]!.url}/v1/records/patients/${p.patient}            # consent facts on the ledger`,
      ...(summary.fhirClient
        ? [
            `FHIR R4 at ${nodes[0]!.url}/fhir/R4 (the hospital's node, answering as the hospital):`,
            `  TOKEN=$(npx salus fhir token --raw --key ${summary.fhirClient.keyFile})`,
            `  curl -H "Authorization: Bearer $TOKEN" '${nodes[0]!.url}/fhir/R4/Observation?patient=${p.patient}'`,
            `  curl -H "Authorization: Bearer $TOKEN" ${nodes[0]!.url}/fhir/R4/Patient/${p.patient}`,
            `  curl ${nodes[0]!.url}/fhir/R4/metadata`,
          ]
        : []),
      ...(summary.contract && summary.insurer
        ? [
            `Smart contract "invoices" (${summary.hospital} invoices ${summary.insurer.org}'s claims service):`,
            `  npx salus contract show invoices --node ${nodes[0]!.url}`,
            `  npx salus contract query invoices balance --args '{"provider":"${summary.contract.provider}","payer":"${summary.contract.payer}"}' --prove --node ${nodes[0]!.url}`,
            `  npx salus contract call invoices approve --args '{"id":"inv-0002"}' --key ${summary.insurer.keyFile} --node ${nodes[0]!.url}`,
            `  npx salus contract events invoices --node ${nodes[0]!.url}`,
          ]
        : []),
      ...(summary.anchors
        ? [
            `Layer 2 anchoring (${summary.anchors.items.length} readings of ${summary.hospital}'s bedside monitor, anchored by node 0 in batch ${summary.anchors.batch}):`,
            `  npx salus anchors proof ${summary.anchors.items[1]} --node ${summary.anchors.node} --out proof.json`,
            `  npx salus anchors verify ${summary.anchors.proofFile} --genesis ${join(dir, 'node0', 'genesis.json')}`,
            `  npx salus anchors submit --key ${summary.anchors.keyFile} --file ${join(dir, 'demo', 'anchors', 'readings.json')} --kind reading --node ${summary.anchors.node} --out receipts.json`,
            `  npx salus anchors report ${summary.anchors.receiptsFile} --key ${summary.anchors.keyFile} --node ${summary.anchors.node}   # ANCHOR_KEPT: the node kept its word`,
            `  curl ${summary.anchors.node}/v1/anchors/node`,
          ]
        : []),
      ...(summary.privateContract && summary.insurer
        ? [
            `Private contract "coverage" (claims with diagnosis codes, seen only by ${summary.privateContract.parties.join(' and ')}'s nodes):`,
            `  npx salus contract private-call coverage submit --args '{"id":"claim-0003","patient":"Patient/demo-3","lines":[{"code":"99214","diagnosis":["E11.9"],"amount":15000}]}' --key ${hospitalKey} --parties ${summary.privateContract.partiesFile} --node ${nodes[0]!.url}`,
            `  npx salus contract private-query coverage claim --args '{"id":"claim-0002"}' --key ${hospitalKey} --parties ${summary.privateContract.partiesFile} --node ${nodes[0]!.url}`,
            `  npx salus contract private-prove coverage owed/${summary.privateContract.provider} --key ${hospitalKey} --parties ${summary.privateContract.partiesFile} --node ${nodes[0]!.url}`,
            `  curl ${nodes[0]!.url}/v1/state?key=contracts/private/coverage        # the root on the ledger`,
          ]
        : []),
      ...(summary.supply ? supplyDemoLines(summary.supply) : []),
      '',
    ].join('\n'),
  );
}
