/**
 * Colour helpers for canvas drawing (theme colours come as hex or rgb() strings).
 */

/** A CSS colour at reduced opacity (hex or rgb from the theme). */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})/i.exec(color.trim());
  if (hex)
    return `#${hex[1]}${Math.round(alpha * 255)
      .toString(16)
      .padStart(2, '0')}`;
  const rgb = /^rgba?\(([^)]+)\)/.exec(color.trim());
  if (rgb) return `rgba(${rgb[1]!.split(',').slice(0, 3).join(',')}, ${alpha})`;
  return color;
}
