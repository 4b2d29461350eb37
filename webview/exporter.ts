/**
 * Exports leave the page as a `save` message: the host owns the file dialog and the disk. File
 * names are made plain here (the host validates them again) and prefixed with the document
 * the view shows, so a folder of exports stays readable.
 */

import type { SaveFormat } from '../src/protocol/webviewProtocol';
import { postToHost } from './vscodeApi';

export interface Exporter {
  save(format: SaveFormat, name: string, data: string): void;
}

export function plainFileName(name: string): string {
  const cleaned = name
    .replace(/[^\w .()+-]+/g, '_')
    .replace(/^[^\w]+/, '')
    .replace(/\.{2,}/g, '.')
    .slice(0, 100);
  return cleaned || 'export';
}

export const hostExporter: Exporter = {
  save(format, name, data) {
    postToHost({ type: 'save', format, suggestedName: plainFileName(name), data });
  },
};
