/**
 * Which token of one sequence is "the same" token of another: for an edited copy, a token-level
 * diff (longest common subsequence of the ids: tokens the edit left alone are aligned, inserted
 * or changed ones are not); for the same text read by two tokenizers, tokens with the same
 * character span. Each returns, for every token of `a`, the index of its counterpart in `b` or −1.
 */

/** Longest-common-subsequence alignment of two id sequences (ties keep the earliest match in b). O(|a|·|b|) time, |a|·|b| bytes. */
export function alignTokens(a: ArrayLike<number>, b: ArrayLike<number>): Int32Array {
  const n = a.length;
  const m = b.length;
  const out = new Int32Array(n).fill(-1);
  // The common prefix and suffix need no table (an edit usually touches a small middle).
  let p = 0;
  while (p < n && p < m && a[p] === b[p]) out[p] = p++;
  let s = 0;
  while (s < n - p && s < m - p && a[n - 1 - s] === b[m - 1 - s]) {
    out[n - 1 - s] = m - 1 - s;
    s++;
  }
  const an = n - p - s;
  const bm = m - p - s;
  // Past ~16 M cells the table would be too large to hold: only the common ends are aligned.
  if (an === 0 || bm === 0 || an * bm > 16_000_000) return out;
  // len[i][j] = LCS of a[p+i..], b[p+j..] (suffixes), so the walk forward can read choices off it.
  const w = bm + 1;
  const len = new Uint16Array((an + 1) * w);
  for (let i = an - 1; i >= 0; i--) {
    for (let j = bm - 1; j >= 0; j--) {
      len[i * w + j] = a[p + i] === b[p + j] ? len[(i + 1) * w + j + 1]! + 1 : Math.max(len[(i + 1) * w + j]!, len[i * w + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < an && j < bm) {
    if (a[p + i] === b[p + j] && len[i * w + j] === len[(i + 1) * w + j + 1]! + 1) {
      out[p + i] = p + j;
      i++;
      j++;
    } else if (len[(i + 1) * w + j]! >= len[i * w + j + 1]!) i++;
    else j++;
  }
  return out;
}

/** Tokens of `a` aligned to the token of `b` with exactly the same [start, end) span (both sorted by start). */
export function alignBySpans(aStarts: ArrayLike<number>, aEnds: ArrayLike<number>, bStarts: ArrayLike<number>, bEnds: ArrayLike<number>): Int32Array {
  const out = new Int32Array(aStarts.length).fill(-1);
  let j = 0;
  for (let i = 0; i < aStarts.length; i++) {
    while (j < bStarts.length && (bStarts[j]! < aStarts[i]! || (bStarts[j] === aStarts[i] && bEnds[j]! < aEnds[i]!))) j++;
    if (j < bStarts.length && bStarts[j] === aStarts[i] && bEnds[j] === aEnds[i]) out[i] = j;
  }
  return out;
}
