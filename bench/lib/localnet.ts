// A 4-validator FAST localnet benchmark (records, fhir, private): validator processes with the
// fast consensus timeouts of the network tests, driven over HTTP, from its start to its stop.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { NodeOptionsInput } from '@salus/node';
import { die, fail, log } from './cli.js';
import { CHAIN_ID } from './genesis.js';
import { chainConsistency, freePortRange, jsonGetter, waitForHeight, type GetJson } from './http.js';
import { FAST_LOCAL_TIMEOUTS, initLocalnet, type LocalnetNode } from './internals.js';
import { loadMeter, loadavgLine, machine, type LoadMeter, type Machine } from './machine.js';
import { ownedProcessesAndDir, procCpuS, type Owned } from './processes.js';
import { nodeLogWarnings, spawnValidator, stopValidators, type Validator } from './validators.js';

export type LogLevel = NonNullable<NonNullable<NodeOptionsInput['log']>['level']>;
const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug', 'silent'];

/** A --log-level flag as the nodes' config takes it. */
export function logLevelOf(level: string): LogLevel {
  const known = LOG_LEVELS.find((l) => l === level);
  if (!known) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not ${level}`);
  return known;
}

export interface LocalnetBench extends Owned {
  readonly meter: LoadMeter;
  readonly mach: Machine;
}

/**
 * The start of a localnet benchmark: ownedProcessesAndDir({ prefix, keep, tag }), then SIGINT, SIGTERM
 * and SIGHUP stop it (logged; onSignal() first, for what runs in this process; then cleanup and exit
 * 130) and an unhandled rejection fails it (the exit handler cleans up); then starts the load meter of
 * the whole run and logs the machine. cleanup() also removes these handlers.
 */
export function startLocalnetBench({ prefix, keep, tag, onSignal }: { prefix: string; keep: boolean; tag: string; onSignal?: () => void }): LocalnetBench {
  const owned = ownedProcessesAndDir({ prefix, keep, tag });
  const onSig = (sig: NodeJS.Signals): void => {
    log(`[${tag}] ${sig}: stopping (validators killed, ${keep ? 'temp dir kept' : 'temp dir removed'})`);
    onSignal?.();
    owned.cleanup();
    process.exit(130);
  };
  const onRejection = (e: unknown): void => die(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, onSig);
  process.on('unhandledRejection', onRejection);
  const meter = loadMeter();
  const mach = machine();
  log(`[${tag}] ${mach.nproc} cores (${mach.cpu_model}), load average: ${loadavgLine()}`);
  const cleanup = (): void => {
    for (const sig of signals) process.off(sig, onSig);
    process.off('unhandledRejection', onRejection);
    owned.cleanup();
  };
  return { ...owned, cleanup, meter, mach };
}

export interface NodeCrash {
  node: number;
  exit: string | number | null;
  log_tail: string;
}

export interface FastLocalnet {
  readonly base: number;
  readonly nodesInit: LocalnetNode[];
  readonly orgs: string[];
  readonly vals: Validator[];
  readonly crashes: NodeCrash[];
  url(i: number): string;
  readonly agent: http.Agent;
  readonly getJson: GetJson;
  /** each validator's CPU seconds so far */
  nodeCpu(): number[];
}

/**
 * Makes a 4-validator localnet under <dir>/net (initLocalnet: chain CHAIN_ID, 8 free ports, config
 * FAST + log level `logLevel` + `config`), starts the 4 validators as processes tracked by `track`
 * (validator `cpuProfNode` with --cpu-prof into `cpuProfDir`; a crash is pushed to `crashes`; failing
 * to start fails the benchmark) and waits until all 4 commit.
 */
export async function startFastLocalnet(o: { dir: string; track: Owned['track']; tag: string; logLevel: string; config?: NodeOptionsInput; cpuProfNode?: number; cpuProfDir?: string }): Promise<FastLocalnet> {
  const { dir, track, tag, logLevel, config = {}, cpuProfNode = -1, cpuProfDir = '' } = o;
  const base = await freePortRange(8);
  const nodesInit = initLocalnet({ dir: join(dir, 'net'), validators: 4, chainId: CHAIN_ID, apiPortBase: base, p2pPortBase: base + 4, config: { ...FAST_LOCAL_TIMEOUTS, log: { level: logLevelOf(logLevel) }, ...config } });
  const vals: Validator[] = [];
  const crashes: NodeCrash[] = [];
  log(`[${tag}] starting 4 validators (ports ${base}…${base + 7}; FAST consensus timeouts)`);
  await Promise.all(
    [0, 1, 2, 3].map(async (i) => {
      // (Node 20 refuses --cpu-prof in NODE_OPTIONS: it goes on the command line)
      const nodeArgs = i === cpuProfNode ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
      if (nodeArgs.length > 0) mkdirSync(cpuProfDir, { recursive: true });
      vals[i] = await spawnValidator({ i, home: nodesInit[i]!.home, nodeArgs, track, tag, onCrash: (c) => crashes.push({ node: c.node, exit: c.exit, log_tail: c.logTail }) });
    }),
  );
  const url = (i: number): string => vals[i]!.url;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const getJson = jsonGetter(agent);
  await waitForHeight(getJson, [0, 1, 2, 3].map(url));
  const nodeCpu = (): number[] => vals.map((v) => procCpuS(v.pid));
  return { base, nodesInit, orgs: nodesInit.map((n) => n.org), vals, crashes, url, agent, getJson, nodeCpu };
}

/** What stopFastLocalnet sets on a localnet benchmark's result. */
export interface StopRecord {
  consistency?: Awaited<ReturnType<typeof chainConsistency>>;
  validator_exit?: (string | number | null)[];
  node_log_warnings?: Record<string, number>[];
}

/**
 * The end of a localnet benchmark's measurements: sets result.consistency (chainConsistency of the 4
 * nodes), stops the validators (SIGTERM, SIGKILL after 15 s: result.validator_exit), sets
 * result.node_log_warnings and closes the HTTP agent. Returns each validator's CPU seconds, read
 * before the stop.
 */
export async function stopFastLocalnet(net: FastLocalnet, tag: string, result: StopRecord): Promise<number[]> {
  result.consistency = await chainConsistency(net.getJson, [0, 1, 2, 3].map(net.url));
  const validatorCpuS = net.nodeCpu();
  log(`[${tag}] stopping validators (SIGTERM)`);
  result.validator_exit = await stopValidators(net.vals, 15);
  result.node_log_warnings = nodeLogWarnings(net.vals);
  net.agent.destroy();
  return validatorCpuS;
}
