#!/usr/bin/env node
// A native-looking `solc` on top of the npm solcjs (WebAssembly) build. No native solc can be
// downloaded on our machines, so py-solc-x (solc_binary=) and forge (solc = ...) both call this.
// It answers the two modes they use: `--version` in native form, and `--standard-json` with the
// input on stdin and ONLY the output JSON on stdout (plain solcjs prints a banner first).
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const solc = require(path.join(ROOT, 'node_modules', 'solc'));

const args = process.argv.slice(2);

function nativeVersion() {
  // solcjs reports "0.8.30+commit.73712a01.Emscripten.clang"; tools parse the native form.
  return solc.version().replace('.Emscripten.clang', '.Linux.g++');
}

// Roots that imports may resolve against: the project, node_modules (for @openzeppelin/...) and
// any --base-path / --include-path / --allow-paths given by the caller.
function searchRoots() {
  const roots = [process.cwd(), ROOT, path.join(ROOT, 'node_modules')];
  for (let i = 0; i < args.length; i += 1) {
    if (['--base-path', '--include-path', '--allow-paths'].includes(args[i]) && args[i + 1]) {
      for (const p of args[i + 1].split(',')) roots.push(path.resolve(p));
    }
  }
  return roots;
}

function findImports(importPath) {
  for (const root of searchRoots()) {
    const candidate = path.resolve(root, importPath);
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    }
  }
  return { error: `File not found: ${importPath} (searched ${searchRoots().join(', ')})` };
}

function main() {
  if (args.includes('--version') || args.includes('-v')) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${nativeVersion()}\n`);
    return 0;
  }
  if (args.includes('--standard-json')) {
    const input = fs.readFileSync(0, 'utf8');
    const output = solc.compile(input, { import: findImports });
    process.stdout.write(output);
    return 0;
  }
  process.stderr.write('scripts/solc.js supports only --version and --standard-json (input on stdin)\n');
  return 1;
}

process.exitCode = main();
