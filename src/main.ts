import * as core from '@actions/core';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostFiles } from './files.js';
import { Host } from './host.js';
import { Inputs, InputError, parseInputs } from './inputs.js';
import { MicroK8s, allowForwarding } from './microk8s.js';
import { Snap, SnapMissingError, findSnap, kubeMinorOf } from './snap.js';
import { Journal, Report } from './state.js';
import { Context, phase } from './context.js';
import { deliverImages, startBuilds } from './images.js';
import { dockerRunning } from './registries/docker-daemon.js';
import { configureRegistries, enableBuiltInRegistry } from './registries/index.js';
import { applyManifests, verifyImages } from './verify.js';

export async function writeKubeconfig(ctx: Context, config: string): Promise<string> {
  const file = path.join(os.homedir(), '.kube', 'config');
  const existing = await ctx.files.read(file);
  if (existing !== null && existing.toString('utf8') !== config) {
    const backup = `${file}.before-setup-microk8s`;
    await ctx.files.write(backup, existing, { mode: 0o600, privileged: false });
    core.info(`Kept the existing ${file} as ${backup}`);
  }
  await ctx.files.write(file, config, { mode: 0o600, privileged: false });
  return file;
}

/** The phases of the main step, in order. */
export async function runMain(
  inputs: Inputs,
  journal = new Journal(),
  host = new Host(),
): Promise<void> {
  const report: Report = {
    channel: inputs.channel.snapChannel,
    addons: inputs.addons.map((a) => a.raw),
    images: [],
    phases: [],
  };
  const files = new HostFiles(host, journal);
  const microk8s = new MicroK8s(host);
  const ctx: Context = {
    inputs,
    host,
    files,
    journal,
    microk8s,
    report,
    deadline: Date.now() + inputs.timeoutSeconds * 1000,
  };
  journal.markMainRan();
  // Builds need nothing from the cluster: they run while MicroK8s installs.
  const builds = startBuilds(ctx);
  try {
    const snap = new Snap(host);
    await phase(ctx, `Installing MicroK8s ${inputs.channel.snapChannel}`, async () => {
      const { installedNow, snap: s } = await snap.ensure(inputs.channel, ctx.deadline);
      if (installedNow) journal.recordSnapInstalled();
      report.revision = s.revision;
      ctx.kubeMinor = kubeMinorOf(s.version);
      core.info(`MicroK8s ${s.version} (rev ${s.revision}) tracking ${s.tracking}`);
    });

    await phase(ctx, 'Waiting for the node to be ready', () => microk8s.waitReady(ctx.deadline));

    for (const addon of inputs.addons) {
      await phase(ctx, `Enabling ${addon.raw}`, async () => {
        await microk8s.enable(addon, ctx.deadline);
        await microk8s.waitForAddon(addon.name, ctx.deadline);
      });
    }

    await phase(ctx, 'Handing over the cluster', async () => {
      const kubeconfig = await writeKubeconfig(ctx, await microk8s.config());
      core.exportVariable('KUBECONFIG', kubeconfig);
      core.setOutput('kubeconfig', kubeconfig);
      report.kubernetesVersion = await microk8s.kubernetesVersion();
      core.setOutput('kubernetes-version', report.kubernetesVersion);
      core.info(`Kubernetes ${report.kubernetesVersion}; KUBECONFIG=${kubeconfig}`);
      if (await dockerRunning(host)) await allowForwarding(host, journal);
    });

    if (inputs.registry) {
      await phase(ctx, 'Enabling the built-in registry', async () => {
        report.registry = await enableBuiltInRegistry(ctx);
      });
    }
    core.setOutput('registry', report.registry ?? '');

    if (inputs.insecureRegistries.length > 0 || inputs.registryServer) {
      await phase(ctx, 'Configuring registries', () => configureRegistries(ctx));
    }

    if (inputs.build.length > 0 || inputs.images.length > 0) {
      const built = await phase(ctx, 'Building images', () => builds.join());
      const delivered = await phase(ctx, 'Delivering images', () => deliverImages(ctx, built));
      if (inputs.verify)
        await phase(ctx, 'Verifying that pods pull the images', () => verifyImages(ctx, delivered));
    }

    if (inputs.manifests.length > 0) {
      await phase(ctx, 'Applying manifests', () => applyManifests(ctx));
    }
    report.finished = true;
  } catch (e) {
    builds.cancel();
    report.failure = { ...report.failure, message: e instanceof Error ? e.message : String(e) };
    throw e;
  } finally {
    // Also after a failure: which images made it, and which did not, is what the user needs.
    core.setOutput(
      'images',
      JSON.stringify(
        report.images.map(({ image, method, ref, digest, verified }) => ({
          image,
          method,
          ref,
          digest,
          verified,
        })),
      ),
    );
    journal.saveReport(report);
  }
}

/** The entry point of the main step: the only place that fails it. */
export async function run(): Promise<void> {
  let inputs: Inputs;
  try {
    // The password is a secret from the moment it is read, before anything can print it.
    const password = core.getInput('registry-password');
    if (password) core.setSecret(password);
    inputs = parseInputs((name) => core.getInput(name));
  } catch (e) {
    core.setFailed(e instanceof InputError ? `Invalid input. ${e.message}` : String(e));
    return;
  }
  if (process.platform !== 'linux' || !findSnap()) {
    core.setFailed(new SnapMissingError(process.platform).message);
    return;
  }
  try {
    await runMain(inputs);
  } catch (e) {
    core.setFailed(e instanceof Error ? e.message : String(e));
  }
}
