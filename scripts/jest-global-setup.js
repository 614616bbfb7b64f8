// Integration and e2e specs run compiled services and scripts from dist/ (child processes). Building once
// per Jest run, before any spec starts, keeps them from racing each other to write the same files.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function globalSetup(globalConfig) {
  const selected = globalConfig.selectProjects;
  if (selected && selected.length > 0 && selected.every((p) => p === 'unit')) return;
  execFileSync(process.execPath, [join(__dirname, 'build.mjs'), '--quiet'], { stdio: 'inherit' });
};
