import * as core from '@actions/core';
import * as fs from 'node:fs/promises';
import { Restorer } from '../cleanup.js';
import { Context } from '../context.js';
import { CONTAINERD_TEMPLATE } from './containerd-template.js';
import { restoreContainerdTemplate, trustInContainerd } from './containerd.js';
import {
  DAEMON_JSON,
  dockerCaPath,
  dockerRunning,
  restoreDaemonJson,
  trustInDocker,
} from './docker-daemon.js';
import { containerdTrusts } from './hosts-toml.js';
import { createPullSecret, dockerLogin } from './private-registry.js';

export { enableBuiltInRegistry } from './builtin-registry.js';

/** Files whose restore needs more than their bytes put back; the post step hands them to undo(). */
export const RESTORERS: Record<string, Restorer> = {
  [DAEMON_JSON]: restoreDaemonJson,
  [CONTAINERD_TEMPLATE]: restoreContainerdTemplate,
};

/**
 * Wires the registries of the inputs into the node's containerd and the runner's Docker:
 * plain-HTTP registries trusted, `registry-server`'s CA installed for both, `docker login` to it
 * and a pull secret for the cluster. Runs once the node is ready.
 */
export async function configureRegistries(ctx: Context): Promise<void> {
  const { insecureRegistries, registryServer, registryCa, registryUsername } = ctx.inputs;
  if (insecureRegistries.length === 0 && !registryServer) return;

  await trustInContainerd(ctx, containerdTrusts(ctx.inputs));

  const dockerNeeded = insecureRegistries.length > 0 || registryCa || registryUsername;
  if (dockerNeeded && !(await dockerRunning(ctx.host))) {
    core.info('Docker: not on this runner (or not running), so only the cluster was configured');
  } else if (dockerNeeded) {
    if (registryServer && registryCa) {
      // Docker reads certs.d on every connection: no reload.
      const ca = dockerCaPath(registryServer.address);
      await ctx.files.write(ca, await fs.readFile(registryCa), { mode: 0o644, privileged: true });
      core.info(`Docker: wrote ${ca}`);
    }
    await trustInDocker(ctx.files, ctx.host, insecureRegistries);
    await dockerLogin(ctx);
  }

  await createPullSecret(ctx);
}
