// Loads the repository's node_modules packages from a double that may run from a bind mount.
//
// Inside a bed, __tests__/bed/doubles is bind-mounted on /usr/local/sbin, and Node resolves bare
// imports from the path it was given, where no node_modules exists. /proc/self/mountinfo names
// the directory a bind mount came from, which leads back to the repository.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function unescapeMount(s) {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/** Where `dir` really lives: follows the bind mount that contains it back to its source. */
export function sourceOf(dir) {
  let mounts;
  try {
    mounts = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const f = l.split(' ');
        return { dev: f[2], root: unescapeMount(f[3]), point: unescapeMount(f[4]) };
      });
  } catch {
    return dir;
  }
  const containing = mounts
    .filter((m) => dir === m.point || dir.startsWith(m.point === '/' ? '/' : m.point + '/'))
    .sort((a, b) => b.point.length - a.point.length)[0];
  if (!containing || containing.root === '/') return dir;
  const inFs = path.join(containing.root, path.relative(containing.point, dir));
  // The same file system mounted elsewhere with a root that is a prefix of inFs shows the path.
  const visible = mounts
    .filter((m) => m.dev === containing.dev && m !== containing)
    .filter((m) => inFs === m.root || inFs.startsWith(m.root === '/' ? '/' : m.root + '/'))
    .sort((a, b) => b.root.length - a.root.length)[0];
  if (!visible) return dir;
  return path.join(visible.point, path.relative(visible.root, inFs));
}

let requireFn;
function repoRequire() {
  if (requireFn) return requireFn;
  for (const base of [here, sourceOf(here)]) {
    let d = base;
    while (d !== path.dirname(d)) {
      if (fs.existsSync(path.join(d, 'node_modules'))) {
        requireFn = createRequire(path.join(d, 'package.json'));
        return requireFn;
      }
      d = path.dirname(d);
    }
  }
  throw new Error(`cannot find node_modules above ${here} or ${sourceOf(here)}`);
}

/** require() a package from the repository's node_modules. */
export function dep(name) {
  return repoRequire()(name);
}
