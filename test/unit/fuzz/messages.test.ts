/**
 * Fuzzing the validators that must never throw: host → worker messages, webview → host
 * messages, and the settings parser (properties in props/messages.ts).
 */

import { ReaderProbe, fuzzEach, reportAfter } from './harness';
import { hostMessageProperties, settingsProperties, webviewMessageProperties } from './props/messages';

describe('fuzz: host → worker messages (parseHostMessage)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('worker messages', []);
  reportAfter(probe);
  fuzzEach(hostMessageProperties(probe), probe);
});

describe('fuzz: webview → host messages (validateWebviewMessage)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('webview messages', []);
  reportAfter(probe);
  fuzzEach(webviewMessageProperties(probe), probe);
});

describe('fuzz: settings (parseSettings)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('settings', []);
  reportAfter(probe);
  fuzzEach(settingsProperties(probe), probe);
});
