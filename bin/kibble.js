#!/usr/bin/env node
// The installed `kibble` command: runs the compiled CLI (built by `npm install` through `prepare`).
// `npm start` runs the server with V8 memory flags (ADR 8); a shebang cannot carry them portably
// (`env -S` is missing from older coreutils and BusyBox), so a supervisor that runs
// `kibble serve` sets them in NODE_OPTIONS.
import '../dist/cli/main.js';
