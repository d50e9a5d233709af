#!/usr/bin/env node
// The installed `keywatch` command: runs the compiled CLI from dist/.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('keywatch: not built yet; run `npm run build` in the keywatch directory first\n');
  process.exit(3);
}
await import(main.href);
