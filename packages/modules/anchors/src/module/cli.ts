import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SalusError, fromHex, pureEd25519, sha256, type Validator } from '@salus/core';
import { AnchorsClient, SalusClient, checkAnchorProof, type AnchorProof, type ItemInput } from '@salus/client';
import { genesisValidators, print, readJson, readReceipt, wallet } from './cli-input.js';

/**
 * `salus anchors submit | proof | verify | report | challenge`: layer 2 anchoring from the command
 * line. Receipts and proofs are JSON files the user keeps; `verify` needs no node.
 */
const DEFAULT_NODE = 'http://127.0.0.1:26657';
const collect = (v: string, prev: string[] = []) => [...prev, v];

function payloads(o: { payload?: string[]; file?: string[] }): Uint8Array[] {
  const out = (o.payload ?? []).map((h) => fromHex(h, 32));
  for (const f of o.file ?? []) {
    try {
      out.push(sha256(new Uint8Array(readFileSync(f))));
    } catch (e) {
      throw new SalusError('NOT_FOUND', `cannot read ${f}: ${(e as Error).message}`);
    }
  }
  if (out.length === 0) throw new SalusError('INVALID_FIELD', 'name what to anchor: --payload <sha-256 hex> or --file <path> (repeatable)');
  return out;
}

export function registerAnchorsCli(program: Command): void {
  const c = program.command('anchors').description('layer 2 anchoring: signed items batched into Merkle trees whose roots go on the ledger');
  const client = (o: { node: string; key?: string }) => new AnchorsClient(new SalusClient({ url: o.node }), o.key ? wallet(o.key) : undefined);

  c.command('submit')
    .description("sign items (the SHA-256 of files, or given hashes) and anchor them on a node; prints the node's receipt and writes each item's receipt to --out")
    .requiredOption('--key <file>', 'your signing key file (an active registered identity)')
    .option('--node <url>', 'node API (the node that anchors)', DEFAULT_NODE)
    .option('--file <path>', 'a file whose SHA-256 to anchor (repeatable; the file never leaves this machine)', collect)
    .option('--payload <hex>', 'a SHA-256 to anchor (repeatable)', collect)
    .option('--kind <kind>', 'what the items are (a-z, 0-9, ".", "_", "-")', 'item')
    .option('--label <text>', 'a short label (no personal data: the anchoring node keeps it)')
    .option('--json', 'send JSON instead of CBOR')
    .option('--out <file>', 'where to write the item receipts (JSON)', 'anchor-receipts.json')
    .action(async (o: { key: string; node: string; file?: string[]; payload?: string[]; kind: string; label?: string; json?: boolean; out: string }) => {
      const inputs: ItemInput[] = payloads(o).map((payload) => ({ kind: o.kind, payload, ...(o.label ? { label: o.label } : {}) }));
      const r = await client(o).anchor(inputs, { format: o.json ? 'json' : 'cbor' });
      writeFileSync(o.out, JSON.stringify(r.receipts, null, 2) + '\n');
      print({ anchorer: r.anchorer, batch: r.batch, deadline: r.deadline, items: r.receipts.map((x) => x.item), receipts: o.out });
    });

  c.command('proof <hash>')
    .description("an item's proof from the node that anchored it, verified here (commit signatures, app hash, batch root, item path, item signature)")
    .option('--node <url>', 'node API (the node that took the item)', DEFAULT_NODE)
    .option('--wait <seconds>', 'wait this long for the batch to be anchored', '0')
    .option('--out <file>', 'also write the proof (JSON) for `salus anchors verify`')
    .action(async (hash: string, o: { node: string; wait: string; out?: string }) => {
      const p = await client(o).proof(hash, { waitMs: Number(o.wait) * 1000 });
      const { verified, ...proof } = p;
      if (o.out) writeFileSync(o.out, JSON.stringify(proof, null, 2) + '\n');
      print({ verified: true, ...verified, ...(o.out ? { file: o.out } : {}) });
    });

  c.command('verify <proof>')
    .description('verify a saved proof without a node: against the validators of a genesis file you trust (else those the proof names)')
    .option('--genesis <file>', 'genesis file whose validators you trust')
    .action((file: string, o: { genesis?: string }) => {
      const p = readJson(file, 'proof file') as AnchorProof;
      const validators: Validator[] = o.genesis ? genesisValidators(o.genesis) : (p.ledger?.validators ?? []).map((x) => ({ pubKey: fromHex(x.pubKey, 32), power: x.power }));
      print({ verified: true, trusted: o.genesis ? 'genesis' : 'the validators the proof names', ...checkAnchorProof(pureEd25519, p, validators) });
    });

  c.command('report <receipts>')
    .description('find out whether a receipt was kept; if not, prove it on the ledger (late batch, or the item missing); if the node withholds its batch, challenge it')
    .requiredOption('--key <file>', 'your signing key file (an active registered identity)')
    .option('--index <n>', 'which receipt of the file', '0')
    .option('--node <url>', 'node API that submits the report', DEFAULT_NODE)
    .option('--anchor-node <url>', "the node that signed the receipt (serves the batch's items; default --node)")
    .action(async (file: string, o: { key: string; index: string; node: string; anchorNode?: string }) => {
      const r = readReceipt(file, Number(o.index));
      const me = client(o);
      const ev = await me.evidence(r, o.anchorNode ? client({ node: o.anchorNode }) : me);
      if (ev.kind === 'pending') throw new SalusError('ANCHOR_NOT_DUE', `the batch may still be anchored until height ${ev.deadline}`);
      if (ev.kind === 'kept') throw new SalusError('ANCHOR_KEPT', `the receipt was kept: the item is leaf ${ev.index} of batch ${r.receipt.body.batch}, anchored at height ${ev.record.height}`);
      if (ev.kind === 'withheld') {
        const t = await me.challenge(r);
        return print({ challenged: true, reason: ev.reason, height: t.height, events: t.result.events });
      }
      const t = await me.report(r, ev.kind === 'omitted' ? ev.evidence : undefined);
      print({ reported: ev.kind, height: t.height, events: t.result.events });
    });

  c.command('challenge <receipts>')
    .description('ask the anchoring node to prove on the ledger that the item is in its batch (unanswered in time, it is misbehaviour)')
    .requiredOption('--key <file>', 'your signing key file (an active registered identity)')
    .option('--index <n>', 'which receipt of the file', '0')
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .action(async (file: string, o: { key: string; index: string; node: string }) => {
      const t = await client(o).challenge(readReceipt(file, Number(o.index)));
      print({ challenged: true, height: t.height, events: t.result.events });
    });
}
