/**
 * `--threads N`, taken by every command that runs the model: the engine's compute threads
 * (1 = the main thread alone; default: the machine's cores, at most 4). Handled here, before
 * the command parses its own options, so each command accepts it alike. The threads are
 * stopped when the command ends, so nothing keeps the process from exiting.
 */

import { setComputeThreads, threadStatus, type ThreadStatus } from '../engine';
import { defaultThreads, nodeThreadSpawner } from '../node/computeThreads';
import { UsageError } from './args';

/** The commands that run the model (tokenize and info do not: they refuse --threads as unknown). */
export const THREADED_COMMANDS: ReadonlySet<string> = new Set(['train', 'attention', 'generate', 'heads', 'surprisal', 'lens', 'ablate', 'attribute']);

export const MAX_THREADS = 64;

/** The --threads value (null when absent) and the arguments without it. */
export function takeThreads(argv: readonly string[]): { threads: number | null; rest: string[] } {
  const rest: string[] = [];
  let threads: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg !== '--threads' && !arg.startsWith('--threads=')) {
      rest.push(arg);
      continue;
    }
    const raw = arg === '--threads' ? argv[++i] : arg.slice('--threads='.length);
    if (raw === undefined) throw new UsageError('--threads needs a value');
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
      throw new UsageError(`--threads must be a whole number from 1 to ${MAX_THREADS}, not "${raw}"`);
    }
    threads = n;
  }
  return { threads, rest };
}

/**
 * Starts the compute threads; says on stderr when fewer than asked could be had (the command
 * still runs, on one thread), at the start or, for a helper that failed later, at the end.
 * Returns the function that stops them.
 */
export function startThreads(requested: number | null, warn: (line: string) => void): () => void {
  const note = (s: ThreadStatus): void => warn(`${s.threads} of ${s.requested} compute threads in use: ${s.fallbackReason}`);
  // Spawned by the first product big enough to split: a model too small to split (stories260K)
  // never pays a helper's start-up, in a process that lives for one command.
  const status = setComputeThreads(requested ?? defaultThreads(), nodeThreadSpawner, 'first-split');
  if (status.fallbackReason) note(status);
  return () => {
    const now = threadStatus();
    if (now.fallbackReason && now.fallbackReason !== status.fallbackReason) note(now);
    setComputeThreads(1, null);
  };
}
