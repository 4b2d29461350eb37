// Process helpers: step headers with timing, and spawning children with a timeout that
// kills the whole process group (servers and browsers leave grandchildren otherwise).
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const t0 = Date.now();
const stepTimes = [];

export const elapsed = () => Math.round((Date.now() - t0) / 1000);

/** Prints `== title (Ns)` (N = seconds since the script started) and times `fn`. */
export async function step(title, fn) {
  console.log(`== ${title} (${elapsed()}s)`);
  const start = Date.now();
  try {
    return await fn();
  } finally {
    stepTimes.push([title, (Date.now() - start) / 1000]);
  }
}

export function stepTimings() {
  return stepTimes.map(([t, s]) => `   ${s.toFixed(1).padStart(6)}s  ${t}`).join('\n');
}

/**
 * Runs a command; resolves { code, signal, timedOut, stdout? } and never rejects on a
 * non-zero exit. `capture: true` collects stdout instead of inheriting it; `logTo: file`
 * sends stdout and stderr to that file. `onSpawn(child)` sees the child process.
 */
export function run(cmd, args, { cwd, env, capture = false, logTo, timeoutMs = 0, quiet = false, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    if (!quiet) console.log(`$ ${[cmd, ...args].join(' ')}${logTo ? ` > ${logTo}` : ''}`);
    const fd = logTo ? fs.openSync(logTo, 'w') : undefined;
    const child = spawn(cmd, args, {
      cwd,
      env: env ?? process.env,
      detached: true,
      stdio: ['ignore', fd ?? (capture ? 'pipe' : 'inherit'), fd ?? 'inherit'],
    });
    if (fd !== undefined) fs.closeSync(fd);
    onSpawn?.(child);
    let stdout = '';
    if (capture)
      child.stdout.on('data', (d) => {
        stdout += d;
      });
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            console.error(`!! ${cmd} timed out after ${timeoutMs / 1000}s, killing it`);
            killGroup(child.pid);
          }, timeoutMs)
        : undefined;
    trackGroup(child.pid);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      untrackGroup(child.pid);
      resolve({ code, signal, timedOut, stdout });
    });
  });
}

/** Runs a command and throws if it fails. */
export async function runOrThrow(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.timedOut ? 'timeout' : (r.signal ?? 'exit ' + r.code)})`);
  return r;
}

// Children run detached (own process group), so Ctrl-C does not reach them: forward it.
const groups = new Set();
let handlersInstalled = false;
const cleanups = [];
/** Kills every tracked group, runs the cleanups, exits 130 (SIGINT, SIGTERM, SIGHUP, or the parent gone). */
function interrupted() {
  for (const p of groups) killGroup(p, 0);
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      /* best effort */
    }
  }
  process.exit(130);
}
function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, interrupted);
}
/** Registers a process group to kill if this script is interrupted. */
export function trackGroup(pid) {
  groups.add(pid);
  installHandlers();
}
export function untrackGroup(pid) {
  groups.delete(pid);
}
/** Registers a synchronous cleanup for interruption (e.g. removing a temp dir). */
export function onInterrupt(fn) {
  cleanups.push(fn);
  installHandlers();
}
/**
 * Also treats the death of the parent as an interruption: `npm start` killed by SIGTERM or SIGHUP
 * dies without passing the signal on (its shell child neither), and this script is re-parented.
 */
export function stopWithParent() {
  installHandlers();
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) interrupted();
  }, 500).unref();
}
/** SIGTERM the process group, then SIGKILL whatever is left after `graceMs`. */
export function killGroup(pid, graceMs = 2000) {
  if (!pid) return;
  try {
    process.kill(-pid, graceMs ? 'SIGTERM' : 'SIGKILL');
  } catch {
    return;
  }
  if (graceMs)
    setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, graceMs).unref();
}
