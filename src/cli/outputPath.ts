/**
 * Checks on a file the CLI is about to write, made before any work so that a mistake costs
 * nothing: the output must not be one of the inputs (by name, through a symlink, or as a hard
 * link of it — `train notes.txt --out notes.txt` would replace the text with the model — nor
 * any file inside an input folder, such as a Hugging Face model's weights), its folder must
 * exist and be writable, and it must not be a folder.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './args';

/** Files looked at inside one input folder (and its subfolders), at most: a model folder holds a few dozen. */
const FOLDER_FILES = 10_000;

/**
 * Refuses `out` when it is, resolves to, or is a hard link of any of `inputs`, or of a file
 * inside an input that is a folder (a model folder is read as a whole: its weights, shards,
 * config and tokenizer are all inputs).
 */
export function checkNotAnInput(out: string, inputs: readonly string[], flag = '--out'): void {
  const outStat = statOrNull(out);
  const outReal = realOrResolved(out);
  for (const input of inputs) {
    const folder = statOrNull(input)?.isDirectory() ?? false;
    for (const file of folder ? filesIn(input) : [input]) {
      const inStat = statOrNull(file);
      const same = realOrResolved(file) === outReal || (outStat !== null && inStat !== null && outStat.dev === inStat.dev && outStat.ino === inStat.ino);
      if (!same) continue;
      const what = folder ? `the file ${file} of the input folder ${input}` : `the input file ${input}`;
      throw new UsageError(`${flag} ${out} is ${what}; writing it would destroy the input — choose another output file`);
    }
  }
}

/** The regular files under `dir` (subfolders too, symlinks followed to files only), at most FOLDER_FILES. */
function filesIn(dir: string): string[] {
  const files: string[] = [];
  const folders = [dir];
  for (let seen = 0; folders.length > 0 && seen < FOLDER_FILES;) {
    const folder = folders.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++seen > FOLDER_FILES) break;
      const p = path.join(folder, e.name);
      if (e.isDirectory()) folders.push(p);
      else if (e.isFile() || (e.isSymbolicLink() && statOrNull(p)?.isFile())) files.push(p);
    }
  }
  return files;
}

/** Fails before any training when the file could not be written afterwards. */
export function checkWritable(file: string): void {
  const dir = path.dirname(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new UsageError(`cannot write ${file}: the folder ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new UsageError(`cannot write ${file}: ${dir} is not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError(`cannot write ${file}: the folder ${dir} is not writable`);
  }
  const target = statOrNull(file);
  if (target?.isDirectory()) throw new UsageError(`cannot write ${file}: it is a folder`);
  if (target && !target.isFile()) throw new UsageError(`cannot write ${file}: it is not a regular file (a device, FIFO or socket)`);
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

/** The fully resolved path (symlinks followed) of a file or, when it does not exist yet, of its folder. */
function realOrResolved(file: string): string {
  const abs = path.resolve(file);
  try {
    return fs.realpathSync(abs);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}
