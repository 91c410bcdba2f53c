import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Bed } from '../bed/bed.js';
import { importArgs, nodePlatform, saveArgs } from '../../src/image-commands.js';
import { parseImageRef, storedName } from '../../src/image-ref.js';
import { alternate, installMicroK8s, q, record, runs, timedInBed } from './measure.js';

// Benchmark 4: side-loading three images that share a large layer into the node's containerd.
// The action sends them in one `docker save A B C | microk8s ctr image import -` stream, where
// the shared layer travels once; the alternative is a stream per image. On the bed's real
// dockerd and the node's real containerd, as `runner` through sudo, with the action's own
// argument lists; the node has none of the three (nor their layers) when each run starts.

const SHARED_MB = 60;
const IMAGES = ['bench/side-a:1.0', 'bench/side-b:1.0', 'bench/side-c:1.0'].map(parseImageRef);
const MICROK8S = '/snap/bin/microk8s';

/** Builds `ref` in the bed's dockerd from `files` (Dockerfile included), like `docker build`. */
async function build(bed: Bed, ref: string, files: Record<string, string | Buffer>) {
  const name = `ctx-${ref.replace(/\W/g, '-')}`;
  const dir = path.join(bed.ctl, name);
  fs.mkdirSync(dir);
  for (const [file, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), data);
  await bed.exec(['docker', 'build', '-q', '-t', ref, `/run/bed/${name}`], {
    env: { DOCKER_BUILDKIT: '0' },
  });
}

const words = (argv: string[]) => argv.map(q).join(' ');

it('4: side-loading three images that share a 60 MB layer: one stream vs three', async () => {
  const bed = await Bed.start();
  try {
    await installMicroK8s(bed, '1.34/stable');
    await build(bed, 'bench/side-base:1.0', {
      Dockerfile: 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY shared /shared\n',
      busybox: fs.readFileSync('/bin/busybox'),
      shared: crypto.randomBytes(SHARED_MB * 1024 * 1024),
    });
    for (const ref of IMAGES) {
      await build(bed, ref.raw, {
        Dockerfile: `FROM bench/side-base:1.0\nCOPY mark /mark\nCMD ["/bin/busybox", "sleep", "3600"]\n`,
        mark: `${ref.raw}\n`,
      });
    }

    const importCmd = `sudo ${MICROK8S} ${words(importArgs(nodePlatform()))} >/dev/null`;
    const stored = IMAGES.map(storedName);
    const nodeImages = async () =>
      (await bed.exec([MICROK8S, 'ctr', 'images', 'ls', '-q'])).stdout.split('\n');
    const nodeContent = async () =>
      (await bed.exec([MICROK8S, 'ctr', 'content', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
    const imagesBefore = await nodeImages();
    const contentBefore = await nodeContent();
    // Untimed: the node forgets the three images and their layers before every run. The CRI
    // plugin adds a second name (the image ID) for each imported image, a moment after the import.
    const forget = async () => {
      for (let attempt = 0; ; attempt++) {
        const added = (await nodeImages()).filter((r) => r && !imagesBefore.includes(r));
        if (added.length > 0) await bed.exec([MICROK8S, 'ctr', 'images', 'rm', '--sync', ...added]);
        const content = await nodeContent();
        if (content.length === contentBefore.length || attempt === 20) {
          expect(content).toEqual(contentBefore);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const sideLoad = (script: string) => async () => {
      await forget();
      const ms = await timedInBed(bed, `t0\n${script}\nt1`, { user: 'runner' });
      expect(await nodeImages()).toEqual(expect.arrayContaining(stored));
      return ms;
    };
    const ms = await alternate(runs(3), {
      one: sideLoad(`docker ${words(saveArgs(IMAGES))} | ${importCmd}`),
      three: sideLoad(
        IMAGES.map((ref) => `docker ${words(saveArgs([ref]))} | ${importCmd}`).join('\n'),
      ),
    });

    const bytes = async (refs: typeof IMAGES) =>
      Number((await bed.exec(['/bin/sh', '-c', `docker ${words(saveArgs(refs))} | wc -c`])).stdout);
    const oneBytes = await bytes(IMAGES);
    let threeBytes = 0;
    for (const ref of IMAGES) threeBytes += await bytes([ref]);
    const mb = (b: number) => `${Math.round(b / 1e6)} MB streamed`;
    record({
      id: 4,
      title: `Side-load three images sharing a ${SHARED_MB} MiB layer into the node`,
      variants: [
        {
          name: 'one docker save A B C | ctr image import',
          short: 'one stream',
          ms: ms.one,
          note: mb(oneBytes),
        },
        {
          name: 'three streams, one per image',
          short: 'three streams',
          ms: ms.three,
          note: mb(threeBytes),
        },
      ],
    });
  } finally {
    await bed.stop();
  }
});
