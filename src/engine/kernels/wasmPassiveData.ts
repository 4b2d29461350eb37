/**
 * A copy of a WebAssembly module's bytes whose active data segments are made passive, for the
 * compute threads (computeThreads.ts): instantiating a module writes its active data segments
 * into memory, and a helper thread instantiating the kernels on the shared memory must not
 * rewrite the constant tables another thread may be reading. The kernels never read their
 * segments through memory.init, so passive segments are simply never applied.
 *
 * Returns null when the bytes hold a segment form this does not know (the caller then uses
 * the module as it is: its segments are constants, so rewriting them writes the same bytes).
 */

export function passiveDataSegments(bytes: Uint8Array): Uint8Array<ArrayBuffer> | null {
  let at = 8;
  const uleb = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      if (b === undefined) throw new RangeError('truncated module');
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  };
  try {
    while (at < bytes.length) {
      const sectionStart = at;
      const id = bytes[at++];
      const size = uleb();
      const bodyStart = at;
      if (id !== 11) {
        at += size;
        continue;
      }
      const out: number[] = [];
      const count = uleb();
      pushUleb(out, count);
      for (let i = 0; i < count; i++) {
        const flag = uleb();
        if (flag === 1) {
          out.push(1);
        } else if (flag === 0 || flag === 2) {
          if (flag === 2) uleb(); // memory index
          // The offset: only `i32.const n; end` is expected from the compiler.
          if (bytes[at++] !== 0x41) return null;
          while (bytes[at++]! & 0x80);
          if (bytes[at++] !== 0x0b) return null;
          out.push(1);
        } else {
          return null;
        }
        const start = at;
        const len = uleb();
        at += len;
        for (let j = start; j < at; j++) out.push(bytes[j]!);
      }
      if (at !== bodyStart + size) return null;
      const header: number[] = [11];
      pushUleb(header, out.length);
      const result = new Uint8Array(bytes.length - (at - sectionStart) + header.length + out.length);
      result.set(bytes.subarray(0, sectionStart), 0);
      result.set(header, sectionStart);
      result.set(out, sectionStart + header.length);
      result.set(bytes.subarray(at), sectionStart + header.length + out.length);
      return result;
    }
    return new Uint8Array(bytes);
  } catch {
    return null;
  }
}

function pushUleb(out: number[], value: number): void {
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
}
