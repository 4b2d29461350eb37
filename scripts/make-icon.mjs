// Draws the extension's icon, media/icon.png (128×128 RGBA), with no dependencies: a dark
// rounded square with a row of tokens, arcs of attention from the last one to the earlier ones
// (thicker and brighter where the weight is larger), and the query token outlined in amber.
// Usage: node scripts/make-icon.mjs   (rerun after changing it; the PNG is committed)
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const N = 128;
const SS = 4; // supersampling per axis, for smooth edges
const px = new Float32Array(N * N * 4); // premultiplied RGBA accumulated over subsamples

function blend(x, y, [r, g, b, a]) {
  if (x < 0 || y < 0 || x >= N || y >= N) return;
  const i = (y * N + x) * 4;
  const w = a / (SS * SS);
  px[i] += r * w;
  px[i + 1] += g * w;
  px[i + 2] += b * w;
  px[i + 3] += w;
}

/** Paints every subsample for which inside(sx, sy) is true (coordinates in pixels). */
function fill(inside, color) {
  for (let y = 0; y < N; y++)
    for (let x = 0; x < N; x++)
      for (let j = 0; j < SS; j++)
        for (let i = 0; i < SS; i++) {
          const sx = x + (i + 0.5) / SS;
          const sy = y + (j + 0.5) / SS;
          if (inside(sx, sy)) blend(x, y, color);
        }
}

const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};

// Background.
fill(roundRect(4, 4, 124, 124, 22), [0.09, 0.11, 0.16, 1]);

// Tokens along the bottom; the last one is the query.
const tokens = [18, 38, 58, 78, 98];
const weights = [0.55, 0.1, 0.25, 0.1];
const baseY = 92;
const q = tokens[tokens.length - 1];
// Arcs from the query to each earlier token: half-ellipses above the row.
weights.forEach((w, k) => {
  const x0 = tokens[k] + 5;
  const x1 = q + 5;
  const cx = (x0 + x1) / 2;
  const rx = (x1 - x0) / 2;
  const ry = Math.min(60, rx * 1.1);
  const thick = 1.5 + 6 * w;
  fill(
    (x, y) => {
      if (y > baseY - 6) return false;
      const d = Math.hypot((x - cx) / rx, (y - (baseY - 6)) / ry);
      return Math.abs(d - 1) * Math.min(rx, ry) < thick / 2;
    },
    [0.27 + 0.4 * w, 0.58 + 0.3 * w, 0.97, 0.45 + w],
  );
});
tokens.forEach((x, k) => {
  const w = k < weights.length ? weights[k] : 0;
  fill(roundRect(x, baseY, x + 11, baseY + 14, 3), k === tokens.length - 1 ? [1, 0.69, 0, 1] : [0.27 + 0.5 * w, 0.58 + 0.3 * w, 0.97, 0.35 + w]);
});

// PNG encoding: straight (not premultiplied) RGBA rows, each with filter byte 0.
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0;
  for (let x = 0; x < N; x++) {
    const i = (y * N + x) * 4;
    const a = Math.min(1, px[i + 3]);
    const o = y * (N * 4 + 1) + 1 + x * 4;
    for (let c = 0; c < 3; c++) raw[o + c] = a > 0 ? Math.round(Math.min(1, px[i + c] / px[i + 3]) * 255) : 0;
    raw[o + 3] = Math.round(a * 255);
  }
}
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, sum]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'media', 'icon.png');
fs.writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
