// Mocha reporter for scripts/test.mjs: prints the usual spec output for people and, at the end,
// writes the counts as JSON to the file named by `--reporter-option summary=<file>`.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const file = options?.reporterOption?.summary ?? options?.reporterOptions?.summary;
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      if (!file) return;
      const { passes, failures, pending, tests, suites, duration } = this.stats;
      fs.writeFileSync(file, JSON.stringify({ passes, failures, pending, tests, suites, duration }));
    });
  }
}
module.exports = SpecWithSummary;
