import * as core from '@actions/core';
import { Context } from '../context.js';
import { sleep } from '../host.js';
import { NotReadyError, secondsLeft } from '../microk8s.js';
import { PULL_SECRET, pullSecretManifest } from './pull-secret.js';

/** Where the pull secret goes: pods that name no service account use this one. */
export const SECRET_NAMESPACE = 'default';
const SERVICE_ACCOUNT = 'default';

/**
 * The merge patch that adds `secret` to a service account's imagePullSecrets, keeping the ones
 * it has (a merge patch replaces a list whole); null when it is there already.
 */
export function imagePullSecretsPatch(serviceAccountJson: string, secret: string): string | null {
  const sa = JSON.parse(serviceAccountJson) as { imagePullSecrets?: { name?: string }[] };
  const current = sa.imagePullSecrets ?? [];
  if (current.some((s) => s.name === secret)) return null;
  return JSON.stringify({ imagePullSecrets: [...current, { name: secret }] });
}

/**
 * `docker login` on the runner, password on stdin: it never reaches a command line, and the
 * main step masked it the moment it read it.
 */
export async function dockerLogin(ctx: Context): Promise<void> {
  const { registryServer, registryUsername, registryPassword } = ctx.inputs;
  if (!registryServer || !registryUsername) return;
  core.setSecret(registryPassword);
  await ctx.host.run(
    'docker',
    ['login', registryServer.address, '--username', registryUsername, '--password-stdin'],
    { input: registryPassword },
  );
  ctx.journal.recordLogin(registryServer.address);
}

/**
 * A `docker-registry` secret for `registry-server` in `default`, added to the imagePullSecrets of
 * its `default` service account, so the kubelet hands the credentials to containerd.
 */
export async function createPullSecret(ctx: Context): Promise<void> {
  const { registryServer, registryUsername, registryPassword } = ctx.inputs;
  if (!registryServer || !registryUsername) return;
  const manifest = pullSecretManifest(
    registryServer.address,
    registryUsername,
    registryPassword,
    SECRET_NAMESPACE,
  );
  await ctx.microk8s.kubectl(['apply', '-f', '-'], { input: manifest });
  // The service account controller creates `default` shortly after the namespace exists.
  let sa: string;
  for (;;) {
    const r = await ctx.microk8s.kubectl(
      ['-n', SECRET_NAMESPACE, 'get', 'serviceaccount', SERVICE_ACCOUNT, '-o', 'json'],
      { allowFailure: true, quiet: true, timeoutMs: 30_000 },
    );
    if (r.code === 0 && r.stdout.trim() !== '') {
      sa = r.stdout;
      break;
    }
    if (Date.now() >= ctx.deadline) {
      throw new NotReadyError(
        `The service account ${SERVICE_ACCOUNT} in ${SECRET_NAMESPACE}`,
        (r.stderr || r.stdout).trim(),
      );
    }
    await sleep(2_000);
  }
  const patch = imagePullSecretsPatch(sa, PULL_SECRET);
  if (patch !== null) {
    await ctx.microk8s.kubectl(
      [
        '-n',
        SECRET_NAMESPACE,
        'patch',
        'serviceaccount',
        SERVICE_ACCOUNT,
        '--type',
        'merge',
        '-p',
        patch,
      ],
      { timeoutMs: secondsLeft(ctx.deadline) * 1000 },
    );
  }
  core.info(
    `Kubernetes: secret ${PULL_SECRET} for ${registryServer.address} in ${SECRET_NAMESPACE}, used by its ${SERVICE_ACCOUNT} service account`,
  );
}
