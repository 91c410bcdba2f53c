import { expect, it } from 'vitest';
import { Bed, RUNNER_DAEMON_JSON } from '../bed/bed.js';
import { criPull } from '../integration/lib/cri.js';
import { mergeDaemonJson } from '../../src/registries/docker-daemon.js';
import {
  appendLegacyRegistries,
  criPluginStatus,
} from '../../src/registries/containerd-template.js';
import { hostsDir, hostsTomlPath, renderHostsToml } from '../../src/registries/hosts-toml.js';
import { alternate, bedInitPid, installMicroK8s, q, record, runs, since } from './measure.js';

// Benchmark 3: the node's containerd trusts a plain-HTTP registry. MicroK8s 1.23+: the action
// writes certs.d/<host>/hosts.toml, which containerd reads on the next pull. Older MicroK8s: the
// registry goes into containerd-template.toml and containerd restarts. Each on a bed of its own
// (1.34/stable and 1.22/stable), with the action's own renderers, timed until a pull through the
// CRI plugin (the kubelet's way) of an image the node has never had succeeds.

const ADDRESS = '10.141.241.175:32000';
const NODE_SOCKET = '/var/snap/microk8s/common/run/containerd.sock';
const TEMPLATE = '/var/snap/microk8s/current/args/containerd-template.toml';
const HTTPS_ERROR = 'server gave HTTP response to HTTPS client';

interface Node {
  bed: Bed;
  /** The node containerd's socket as this process reaches it. */
  socket: string;
}

/**
 * A bed with MicroK8s `channel` installed and a plain-HTTP registry on another host holding
 * `count` images, each a single layer of its own (so no pull finds a layer it already has).
 */
async function node(channel: string, count: number): Promise<Node> {
  const bed = await Bed.start({
    daemonJson: mergeDaemonJson(RUNNER_DAEMON_JSON, [ADDRESS]).content,
  });
  try {
    const reg = await bed.startRegistry({
      name: 'lan',
      netnsHost: { ip: '10.141.241.175', port: 32000 },
    });
    await installMicroK8s(bed, channel);
    await bed.exec([
      '/bin/bash',
      '-euo',
      'pipefail',
      '-c',
      `r=$(mktemp -d); mkdir -p "$r/bin"; cp /bin/busybox "$r/bin/"
       for i in $(seq 1 ${count}); do
         echo "$i" > "$r/mark"
         tar -C "$r" -c . | docker import - ${q(reg.host)}/bench:"$i" >/dev/null
         docker push ${q(reg.host)}/bench:"$i" >/dev/null
       done`,
    ]);
    return { bed, socket: `/proc/${bedInitPid(bed)}/root${NODE_SOCKET}` };
  } catch (e) {
    await bed.stop();
    throw e;
  }
}

/** Writes a root-owned file as the action does: sudo mkdir -p, sudo tee, sudo chmod 644. */
async function sudoWrite(bed: Bed, file: string, content: string): Promise<void> {
  await bed.exec(
    [
      '/bin/sh',
      '-c',
      'sudo mkdir -p -- "$(dirname "$1")" && sudo tee -- "$1" >/dev/null && sudo chmod 644 -- "$1"',
      'sh',
      file,
    ],
    { user: 'runner', input: content },
  );
}

/** Pulls through CRI until it works; returns the failures before it did. */
async function pullUntilPulled(socket: string, image: string): Promise<number> {
  const until = Date.now() + 30_000;
  for (let failures = 0; ; failures++) {
    try {
      await criPull(socket, image);
      return failures;
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function pullFails(socket: string, image: string): Promise<string> {
  return criPull(socket, image).then(
    () => 'pulled',
    (e: Error) => e.message,
  );
}

/** `microk8s ctr plugins ls` until the CRI plugin is `ok`, as the action waits after a restart. */
async function waitForCri(bed: Bed): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const r = await bed.exec(['sudo', '/snap/bin/microk8s', 'ctr', 'plugins', 'ls'], {
      user: 'runner',
      allowFailure: true,
    });
    if (r.code === 0 && criPluginStatus(r.stdout) === 'ok') return;
    if (Date.now() > until) throw new Error(`CRI did not come back: ${r.stderr}${r.stdout}`);
  }
}

async function restartContainerd(bed: Bed): Promise<void> {
  await bed.exec(['sudo', 'snap', 'restart', 'microk8s.daemon-containerd'], { user: 'runner' });
}

it('3: containerd trusts a plain-HTTP registry: hosts.toml vs the legacy template and a restart', async () => {
  const n = runs(5);
  const hostsNode = await node('1.34/stable', n);
  const legacyNode = await node('1.22/stable', n);
  try {
    const pristine = (await legacyNode.bed.readFile(TEMPLATE))!.toString();
    const trust = { address: ADDRESS, scheme: 'http' as const };
    const retries: number[] = [];

    const hostsToml = async (run: number) => {
      const { bed, socket } = hostsNode;
      await bed.exec(['rm', '-rf', hostsDir(ADDRESS)]);
      const image = `${ADDRESS}/bench:${run + 1}`;
      if (run === 0) expect(await pullFails(socket, image)).toContain(HTTPS_ERROR);
      const start = process.hrtime.bigint();
      await sudoWrite(bed, hostsTomlPath(ADDRESS), renderHostsToml(trust));
      retries.push(await pullUntilPulled(socket, image));
      return since(start);
    };

    const legacy = async (run: number) => {
      const { bed, socket } = legacyNode;
      // Start from the shipped template, read by a containerd that knows nothing of the registry.
      await sudoWrite(bed, TEMPLATE, pristine);
      await restartContainerd(bed);
      await waitForCri(bed);
      const image = `${ADDRESS}/bench:${run + 1}`;
      if (run === 0) expect(await pullFails(socket, image)).toContain(HTTPS_ERROR);
      const start = process.hrtime.bigint();
      await sudoWrite(bed, TEMPLATE, appendLegacyRegistries(pristine, [trust]).content);
      await restartContainerd(bed);
      await waitForCri(bed);
      retries.push(await pullUntilPulled(socket, image));
      return since(start);
    };

    const ms = await alternate(n, { hostsToml, legacy });
    record({
      id: 3,
      title: "The node's containerd trusts an insecure registry (until a CRI pull succeeds)",
      variants: [
        {
          name: 'hosts.toml written (1.34/stable), no restart',
          short: 'hosts.toml',
          ms: ms.hostsToml,
        },
        {
          name: 'template + snap restart daemon-containerd + CRI ok (1.22/stable)',
          short: 'template + restart',
          ms: ms.legacy,
        },
      ],
    });
    // Every pull right after the change worked at once: the change alone made the difference.
    expect(retries.every((r) => r === 0)).toBe(true);
  } finally {
    await hostsNode.bed.stop();
    await legacyNode.bed.stop();
  }
});
