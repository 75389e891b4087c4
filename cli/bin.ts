#!/usr/bin/env node
/** The `mixem` executable: runs the command line and exits with its status. */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mixem: internal error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
