import * as core from '@actions/core';
import { HostFiles } from './files.js';
import { Host } from './host.js';
import { restoreForwarding } from './microk8s.js';
import { Snap } from './snap.js';
import { FileChange, Journal } from './state.js';

/** A file whose restore needs more than its bytes put back (e.g. a daemon to reload). */
export type Restorer = (change: FileChange, files: HostFiles, host: Host) => Promise<void>;

const SNAP_DATA_ROOT = '/var/snap/microk8s/';

/**
 * Undoes what main recorded, newest first: MicroK8s removed if the action installed it, every
 * file put back byte for byte or removed, the iptables FORWARD changes reverted, every
 * `docker login` logged out. One failed step does not stop the others; their errors are returned
 * together.
 */
export async function undo(
  journal: Journal,
  host: Host,
  restorers: Record<string, Restorer> = {},
): Promise<string[]> {
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const files = new HostFiles(host, journal);
  const removedSnap = journal.snapInstalled();
  if (removedSnap) await attempt('Removing MicroK8s', () => new Snap(host).remove());
  for (const change of [...journal.files()].reverse()) {
    // `snap remove --purge` took the whole snap data folder with it, files we wrote included.
    if (removedSnap && change.path.startsWith(SNAP_DATA_ROOT)) continue;
    const restorer = restorers[change.path];
    await attempt(`Restoring ${change.path}`, async () => {
      if (restorer) await restorer(change, files, host);
      else await files.restore(change);
      core.info(change.original === null ? `Removed ${change.path}` : `Restored ${change.path}`);
    });
  }
  const forwarding = journal.forwarding();
  if (forwarding) {
    await attempt('Restoring the iptables FORWARD rules', async () => {
      await restoreForwarding(host, forwarding);
      core.info(`Restored the iptables FORWARD policy ${forwarding.policy}`);
    });
  }
  for (const server of [...journal.logins()].reverse()) {
    await attempt(`Logging out of ${server}`, () => host.run('docker', ['logout', server]));
  }
  return errors;
}
