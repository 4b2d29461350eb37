/**
 * What the log keeps beside an error's message: nothing for an engine error that is the user's
 * (a bad file, a refused input), the stack and the worker's detail for an internal one, a crashed
 * worker, and the host's own errors. Errors here are the real EngineError and WorkerError classes.
 */

import assert from 'node:assert/strict';
import { EngineError, errorDetail } from '../../../src/host/engineError';

describe('host/engineError: errorDetail', () => {
  it("a user's engine error: no stack in the log", () => {
    for (const code of ['checkpoint', 'bad-input', 'offline', 'download'] as const) {
      assert.equal(errorDetail(new EngineError(code, 'folder without config.json', 'ModelFileError: … at readBytes (dist/worker.js:12068)')), '', code);
    }
  });

  it('an internal engine error, a crashed worker, a host bug: the stack and the detail', () => {
    const internal = errorDetail(new EngineError('internal', 'boom', 'TypeError: x is undefined\n    at step (dist/worker.js:1)'));
    assert.match(internal, /^EngineError: boom\n\s+at /);
    assert.match(internal, /TypeError: x is undefined\n\s+at step/);
    assert.match(errorDetail(new EngineError('checkpoint', 'the worker stopped', null, true)), /^EngineError: the worker stopped\n\s+at /);
    assert.match(errorDetail(new EngineError('bad-request', 'unknown message type', 'at parse')), /^EngineError: unknown message type\n\s+at /);
    assert.match(errorDetail(new TypeError('cannot read x')), /^TypeError: cannot read x\n\s+at /);
    assert.equal(errorDetail('a string'), '');
  });
});
