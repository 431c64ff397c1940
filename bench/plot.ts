#!/usr/bin/env node
// Re-draws the network benchmark's kill-and-restart timeline from its JSON (the plotter is
// plot/timeline.ts, the network's figure plot/network-timeline.ts).
//
//   node bench/out/ts/plot.js bench/out/network.json [out.svg]
import { readFileSync, writeFileSync } from 'node:fs';
import { runMain } from './lib/cli.js';
import { networkTimelineSvg, type TimelineSource } from './plot/network-timeline.js';

runMain(async () => {
  const [file, outFile] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/out/ts/plot.js bench/out/network.json [out.svg]\n');
    process.exit(2);
  }
  const svg = networkTimelineSvg(JSON.parse(readFileSync(file, 'utf8')) as TimelineSource);
  if (outFile) writeFileSync(outFile, svg);
  else process.stdout.write(svg);
});
