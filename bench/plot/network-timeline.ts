// The network benchmark's kill-and-restart timeline as SVG, from its result JSON.
import type { Timeline } from '../network/timeline.js';
import { movingAverage, timelineSvg, type Marker } from './timeline.js';

/** The parts of a network result (network.json) the plot reads. */
export interface TimelineSource {
  timeline_kill_restart?: Timeline;
  machine: { nproc: number; cpu_model: string; date: string };
  setup: { tx_bytes_median?: unknown };
  flags: { concurrency: number; window: number };
}

export function networkTimelineSvg(result: TimelineSource): string {
  const tl = result.timeline_kill_restart;
  if (!tl) return '';
  const t = tl.seconds.map((x) => x.t);
  const ev = tl.events;
  const markers: Marker[] = [
    { t: ev.kill_s, label: `SIGKILL node ${ev.node}`, color: '#c00' },
    { t: ev.restart_s, label: `restart node ${ev.node}`, color: '#d2691e' },
  ];
  if (ev.caught_up_missed_s !== null) markers.push({ t: ev.caught_up_missed_s, label: 'missed blocks committed', color: '#2a7' });
  if (ev.caught_up_tip_s !== null && ev.caught_up_tip_s !== ev.caught_up_missed_s) markers.push({ t: ev.caught_up_tip_s, label: 'at the tip', color: '#070' });
  return timelineSvg({
    title: `Salus, 4 validator processes on one ${result.machine.nproc}-core machine: kill and restart one validator under load`,
    subtitle: `${result.machine.cpu_model} · ${result.machine.date} · ~${String(result.setup.tx_bytes_median)} B register_patient txs over HTTP, closed loop (${result.flags.concurrency} in flight, window ${result.flags.window})`,
    t,
    bands: [{ from: ev.kill_s, to: ev.restart_s, label: `node ${ev.node} down`, color: '#f6e0e0' }],
    panels: [
      {
        label: 'committed tx/s (per second)',
        series: [
          { name: 'txs of the blocks seen committed in that second', kind: 'bars', values: tl.seconds.map((x) => x.tx_per_s), color: '#1f5fa8' },
          { name: '5 s moving average', values: movingAverage(tl.seconds.map((x) => x.tx_per_s), 5), color: '#0b2e5a', width: 2.2 },
        ],
      },
      {
        label: 'commit latency (ms)',
        log: true,
        series: [
          { name: 'p50 of the txs committed in that second', values: tl.seconds.map((x) => x.latency_p50_ms), color: '#2a7', dots: true },
          { name: 'p99', values: tl.seconds.map((x) => x.latency_p99_ms), color: '#a22', dots: true },
        ],
      },
      {
        label: `node ${ev.node}: blocks behind node 0`,
        panelHeight: 150,
        series: [{ name: `node ${ev.node} lag (blocks)`, values: tl.seconds.map((x) => x.node_lag_blocks), color: '#d2691e' }],
      },
    ],
    markers,
  });
}
