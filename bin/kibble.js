#!/usr/bin/env -S node --max-semi-space-size=8
// The installed `kibble` command: runs the compiled CLI (built by `npm install` through `prepare`).
// The V8 flag caps the young generation at 2 × 8 MiB (default 2 × 16): the server's RSS 35–50 MB
// lower at the same throughput (ADR 8). `npm start` passes the same flag.
import '../dist/cli/main.js';
