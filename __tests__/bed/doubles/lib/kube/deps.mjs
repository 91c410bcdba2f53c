// Loads the repository's node_modules packages from the doubles. Inside a bed they run from the
// repository, which is bound at its own path: /usr/local/sbin holds symlinks to them (Node
// resolves a symlinked script to its real path), /snap/bin/microk8s runs doubles/microk8s by its
// path, and services.mjs starts lib/kubelite.mjs by its path. node_modules is above them.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

let requireFn;
function repoRequire() {
  if (requireFn) return requireFn;
  for (let d = here; d !== path.dirname(d); d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'node_modules'))) {
      requireFn = createRequire(path.join(d, 'package.json'));
      return requireFn;
    }
  }
  throw new Error(`cannot find node_modules above ${here}`);
}

/** require() a package from the repository's node_modules. */
export function dep(name) {
  return repoRequire()(name);
}
