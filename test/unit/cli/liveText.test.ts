/** LiveText (the CLI's generated text on stdout): everything added is written, in order, in at most one write a frame. */
import { strict as assert } from 'node:assert';
import { LiveText } from '../../../src/cli/liveText';

describe('cli/liveText', () => {
  it('writes the first piece at once, gathers the rest of a burst, and flush writes what remains', async () => {
    const writes: string[] = [];
    const live = new LiveText({ write: (t: string) => writes.push(t) });
    live.add('Once');
    assert.deepEqual(writes, ['Once'], 'the first piece waits for nothing');
    const pieces = Array.from({ length: 200 }, (_, i) => ` w${i}`);
    for (const p of pieces) live.add(p);
    assert.ok(writes.length < 1 + pieces.length / 2, `${writes.length} writes for a burst of ${pieces.length} pieces`);
    await new Promise((r) => setTimeout(r, 30));
    live.add('!');
    assert.ok(writes[writes.length - 1]!.endsWith('!'), 'a piece after a frame is written without a flush');
    live.add(' tail');
    live.flush();
    live.flush();
    assert.equal(writes.join(''), ['Once', ...pieces, '!', ' tail'].join(''));
    assert.ok(
      writes.every((w) => w !== ''),
      'no empty writes',
    );
  });
});
