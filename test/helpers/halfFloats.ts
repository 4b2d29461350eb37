/**
 * Independent scalar F16/BF16 conversions for the tests (nothing from src/): decoding written
 * from the IEEE 754 definition, encoding by round-to-nearest-even, so what the engine widens
 * in its kernels is compared against values computed another way.
 */

/** The value of an IEEE binary16 bit pattern, from its fields. */
export function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31,
    f = h & 1023;
  if (e === 31) return f ? NaN : sign * Infinity;
  if (e === 0) return sign * f * Math.pow(2, -24);
  return sign * (1024 + f) * Math.pow(2, e - 25);
}

const scratch = new DataView(new ArrayBuffer(4));

/** The value of a bfloat16 bit pattern: a float32 whose low 16 bits are zero. */
export function bf16Value(h: number): number {
  scratch.setUint32(0, (h & 0xffff) << 16);
  return scratch.getFloat32(0);
}

/** round-half-even of a non-negative number. */
function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 === 1 ? r - 1 : r;
}

/** The nearest binary16 (ties to even) of a finite float32 value within the half range. */
export function toF16Bits(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  let e = Math.floor(Math.log2(a));
  if (Math.pow(2, e) > a) e--;
  if (Math.pow(2, e + 1) <= a) e++;
  if (e < -14) {
    const m = roundEven(a / Math.pow(2, -24)); // subnormal (m = 1024 is the smallest normal)
    return sign | m;
  }
  let m = roundEven((a / Math.pow(2, e) - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) throw new RangeError(`${x} is beyond the f16 range`);
  return sign | ((e + 15) << 10) | m;
}

/** The nearest bfloat16 (ties to even) of a finite float32 value. */
export function toBf16Bits(x: number): number {
  scratch.setFloat32(0, x);
  const u = scratch.getUint32(0);
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Every bit pattern whose value is finite, for a 16-bit float type. */
export function finitePatterns(dtype: 'f16' | 'bf16'): Uint16Array {
  const out: number[] = [];
  const mask = dtype === 'f16' ? 0x7c00 : 0x7f80;
  for (let h = 0; h < 65536; h++) if ((h & mask) !== mask) out.push(h);
  return Uint16Array.from(out);
}
