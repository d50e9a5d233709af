// The version printed by `keywatch --version`, read from package.json at run time so the two
// cannot drift apart. The file sits one level up from src/ when run from source and two levels
// up from dist/src/ when compiled, so walk up until keywatch's own package.json is found.
import { existsSync, readFileSync } from 'node:fs';

function findVersion(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    const file = new URL('package.json', dir);
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'keywatch' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

export const VERSION: string = findVersion();
