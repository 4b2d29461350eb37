/**
 * `npm start` stopped by SIGTERM (or a closed terminal) must not leave the VS Code server
 * running and its temporary folder behind. npm dies without passing the signal to the script's
 * shell, so the script watches for its parent going (scripts/lib/run.mjs stopWithParent): then it
 * kills the process groups it started and runs its cleanups. Here a real script does that under a
 * shell that is killed outright.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RUN_LIB = path.resolve(__dirname, '../../../scripts/lib/run.mjs');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('scripts: a started server does not outlive `npm start`', function () {
  this.timeout(30_000);
  it('when the parent dies without a signal reaching the script, its detached children are killed and its temp folder removed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-stop-'));
    const tempFolder = path.join(dir, 'run');
    fs.mkdirSync(tempFolder);
    const script = path.join(dir, 'start.mjs');
    fs.writeFileSync(
      script,
      `import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { onInterrupt, stopWithParent, trackGroup } from ${JSON.stringify(RUN_LIB)};
stopWithParent();
onInterrupt(() => fs.rmSync(${JSON.stringify(tempFolder)}, { recursive: true, force: true }));
const server = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
trackGroup(server.pid);
console.log('server ' + server.pid);
setInterval(() => {}, 1000);
`,
    );
    // "; true" keeps the shell as the script's parent (no exec), as npm's shell is.
    const shell = spawn('sh', ['-c', `node ${JSON.stringify(script)}; true`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const serverPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      shell.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /server (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      shell.on('exit', () => reject(new Error(`the script exited early: ${out}`)));
    });
    assert.ok(alive(serverPid));
    shell.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while ((alive(serverPid) || fs.existsSync(tempFolder)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    try {
      assert.ok(!alive(serverPid), 'the server process was killed');
      assert.ok(!fs.existsSync(tempFolder), 'the temporary folder was removed');
    } finally {
      if (alive(serverPid)) process.kill(serverPid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
