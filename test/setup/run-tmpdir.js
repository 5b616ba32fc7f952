// Every temporary file a run makes (CDK's cdk.out* assemblies of ~12 MB, the suites' data dirs,
// clones and bundles) goes under one directory of its own, removed when the run ends: a suite that
// forgets its own, or is killed before its afterAll, no longer leaves it in the machine's /tmp.
// os.tmpdir() reads TMPDIR on each call, and jest's workers start after this with its environment.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-jest-'));
  process.env.AIGW_JEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
};

module.exports.teardown = async function teardown() {
  const dir = process.env.AIGW_JEST_TMPDIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
