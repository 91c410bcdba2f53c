import * as core from '@actions/core';
import * as http from 'node:http';
import { Context } from '../context.js';
import { sleep } from '../host.js';
import { Addon } from '../inputs.js';
import { NotReadyError } from '../microk8s.js';

/** Where the addon's NodePort service answers; also the `registry` output. */
export const BUILT_IN_REGISTRY = 'localhost:32000';
const NAMESPACE = 'container-registry';
const CLAIM = 'registry-claim';

/**
 * The `microk8s enable` words for the registry addon: `--size` from 1.25 on, the older
 * `registry:size=…` on the tracks that predate it (their addon is a bash script that knows only
 * that form; microk8s-facts §3). An unknown minor (a `latest` track) is a new one.
 */
export function registryAddon(size: string, kubeMinor?: number): Addon {
  const words =
    kubeMinor !== undefined && kubeMinor <= 24
      ? [`registry:size=${size}`]
      : ['registry', '--size', size];
  return { raw: words.join(' '), name: 'registry', words };
}

/** One GET of the registry's API root: its status code, or the error's words. */
function probe(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (e) => resolve(e.message));
  });
}

async function poll(
  ctx: Context,
  what: string,
  check: () => Promise<string | true>,
  state: () => Promise<string>,
): Promise<void> {
  let last = '';
  for (;;) {
    const r = await check();
    if (r === true) return;
    last = r;
    if (Date.now() >= ctx.deadline) break;
    await sleep(2_000);
  }
  throw new NotReadyError(what, `${last}\n${await state()}`.trim());
}

/**
 * Enables the built-in registry and waits until it really serves: the storage provisioner and
 * the registry rolled out, its claim bound, and `GET /v2/` answering 200, all before the timeout.
 */
export async function enableBuiltInRegistry(ctx: Context): Promise<string> {
  const addon = registryAddon(ctx.inputs.registrySize, ctx.kubeMinor);
  await ctx.microk8s.enable(addon, ctx.deadline);
  // `microk8s status` calls the addon enabled as soon as its deployment exists (addons.yaml).
  await ctx.microk8s.waitForAddon('registry', ctx.deadline);
  const state = async () => {
    const r = await ctx.microk8s.kubectl(['-n', NAMESPACE, 'get', 'pvc,pods', '-o', 'wide'], {
      allowFailure: true,
      quiet: true,
      timeoutMs: 30_000,
    });
    return (r.stdout + r.stderr).trimEnd();
  };
  await poll(
    ctx,
    `The built-in registry's claim ${CLAIM}`,
    async () => {
      const r = await ctx.microk8s.kubectl(
        ['-n', NAMESPACE, 'get', 'pvc', CLAIM, '-o', 'jsonpath={.status.phase}'],
        { allowFailure: true, quiet: true, timeoutMs: 30_000 },
      );
      const phase = r.stdout.trim();
      return phase === 'Bound' || `${CLAIM} is ${phase || r.stderr.trim() || 'missing'}`;
    },
    state,
  );
  const url = `http://${BUILT_IN_REGISTRY}/v2/`;
  await poll(
    ctx,
    `The built-in registry (${url})`,
    async () => {
      const r = await probe(url);
      return r === 200 || `GET ${url}: ${typeof r === 'number' ? `HTTP ${r}` : r}`;
    },
    state,
  );
  core.info(`The built-in registry serves at ${BUILT_IN_REGISTRY}`);
  return BUILT_IN_REGISTRY;
}
