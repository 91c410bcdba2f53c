import * as core from '@actions/core';
import * as fs from 'node:fs/promises';
import { Restorer } from '../cleanup.js';
import { Context } from '../context.js';
import { Host, sleep } from '../host.js';
import { NotReadyError, secondsLeft } from '../microk8s.js';
import {
  CONTAINERD_TEMPLATE,
  ContainerdTemplateError,
  appendLegacyRegistries,
  criPluginStatus,
  parseTemplate,
  templateFormat,
} from './containerd-template.js';
import { RegistryTrust, hostsTomlPath, renderHostsToml } from './hosts-toml.js';

/** The snap service that runs the node's containerd (snap/snapcraft.yaml, stop-mode sigterm). */
const CONTAINERD_SERVICE = 'microk8s.daemon-containerd';

async function restartContainerd(host: Host): Promise<void> {
  // Only containerd: with stop-mode sigterm its shims, and so the pods, keep running.
  await host.run('snap', ['restart', CONTAINERD_SERVICE], { sudo: true });
}

/**
 * Waits until the restarted containerd serves its CRI plugin again. A configuration the plugin
 * refuses leaves containerd itself running, so `ctr version` answering proves nothing.
 */
async function waitForCri(ctx: Context): Promise<void> {
  let last = '';
  while (Date.now() < ctx.deadline) {
    const r = await ctx.microk8s.run(['ctr', 'plugins', 'ls'], {
      allowFailure: true,
      quiet: true,
      timeoutMs: 30_000,
    });
    const status = r.code === 0 ? criPluginStatus(r.stdout) : undefined;
    if (status === 'ok') return;
    if (status !== undefined) {
      throw new ContainerdTemplateError(
        `containerd restarted, but its CRI plugin is '${status}': it refused the configuration rendered from ${CONTAINERD_TEMPLATE}. \`sudo snap logs -n 100 ${CONTAINERD_SERVICE}\` shows why`,
      );
    }
    last = (r.stderr || r.stdout).trim();
    await sleep(2_000);
  }
  throw new NotReadyError(
    `containerd (restarted to read ${CONTAINERD_TEMPLATE})`,
    last ? `\`microk8s ctr plugins ls\`: ${last}` : '',
  );
}

/**
 * Makes the node's containerd trust `trusts`. MicroK8s 1.23+ reads certs.d/<host>/hosts.toml on
 * every pull, so writing it is enough; older MicroK8s only reads the registry settings in its
 * containerd template when containerd starts, so the template is extended and containerd alone
 * restarted.
 */
export async function trustInContainerd(ctx: Context, trusts: RegistryTrust[]): Promise<void> {
  if (trusts.length === 0) return;
  const templateBytes = await ctx.files.read(CONTAINERD_TEMPLATE, true);
  if (templateBytes === null) {
    throw new Error(
      `${CONTAINERD_TEMPLATE} does not exist, so the action cannot tell how this MicroK8s configures registries. Is MicroK8s installed (\`snap list microk8s\`)?`,
    );
  }
  const text = templateBytes.toString('utf8');
  for (const t of trusts) {
    if (t.caFile && ctx.inputs.registryCa) {
      await ctx.files.write(t.caFile, await fs.readFile(ctx.inputs.registryCa), {
        mode: 0o644,
        privileged: true,
      });
    }
  }
  if (templateFormat(parseTemplate(text)) === 'hosts-dir') {
    for (const t of trusts) {
      await ctx.files.write(hostsTomlPath(t.address), renderHostsToml(t), {
        mode: 0o644,
        privileged: true,
      });
      core.info(
        `containerd: wrote ${hostsTomlPath(t.address)} (${t.scheme}://${t.address}${t.caFile ? `, CA ${t.caFile}` : ''}); containerd reads it on the next pull`,
      );
    }
    return;
  }
  const { content, changed, added } = appendLegacyRegistries(text, trusts);
  if (!changed) {
    core.info(
      `containerd: ${CONTAINERD_TEMPLATE} already has ${trusts.map((t) => t.address).join(', ')}`,
    );
    return;
  }
  const mode = (await ctx.files.mode(CONTAINERD_TEMPLATE, true)) ?? 0o644;
  await ctx.files.write(CONTAINERD_TEMPLATE, content, { mode, privileged: true });
  core.info(
    `containerd: added ${added.join(', ')} to ${CONTAINERD_TEMPLATE} (this MicroK8s has no certs.d); restarting containerd so it reads them`,
  );
  const started = Date.now();
  await restartContainerd(ctx.host);
  await waitForCri(ctx);
  await ctx.microk8s.waitReady(ctx.deadline);
  core.info(
    `containerd: serving again ${Math.round((Date.now() - started) / 100) / 10} s after the restart (${secondsLeft(ctx.deadline)} s of the timeout left)`,
  );
}

/** Puts the template back and restarts containerd, which reads it only when it starts. */
export const restoreContainerdTemplate: Restorer = async (change, files, host) => {
  await files.restore(change);
  await restartContainerd(host);
};
