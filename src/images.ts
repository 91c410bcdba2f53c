import * as core from '@actions/core';
import { Context } from './context.js';
import { CommandError, RunResult, lastLines } from './host.js';
import {
  CtrImage,
  DeliveryMethod,
  DockerImage,
  buildArgs,
  deliveryMethod,
  dockerName,
  importArgs,
  inspectArgs,
  latestWarning,
  manifestFor,
  nodePlatform,
  parseCtrImages,
  parseInspect,
  parseManifest,
  parsePushDigest,
  pushArgs,
  pushRetryPolicy,
  repoDigestFor,
  saveArgs,
} from './image-commands.js';
import { ImageRef, storedName } from './image-ref.js';
import { BuildSpec } from './inputs.js';
import { MICROK8S } from './microk8s.js';
import { diagnosePushFailure } from './pull-failure.js';
import { ImageReport } from './state.js';

/** A build takes what it takes; the job's own timeout is the real limit. */
const BUILD_TIMEOUT_MS = 60 * 60_000;
const TRANSFER_TIMEOUT_MS = 30 * 60_000;

interface BuildOutcome {
  spec: BuildSpec;
  seconds: number;
  result?: RunResult;
  error?: unknown;
}

/** The builds started while MicroK8s installs. */
export interface Builds {
  /**
   * Waits for every build, prints each one's output, and throws the first failure in input
   * order, with the build's own error. Returns the images built.
   */
  join(): Promise<ImageRef[]>;
  /**
   * Stops the builds still running: the install failed, nothing will use them, and the step
   * must not wait for them to end.
   */
  cancel(): void;
}

/**
 * Starts every `docker build` at once: they do not depend on each other nor on the cluster.
 * Their output is held until `join`, so it does not interleave with the install's log.
 */
export function startBuilds(ctx: Pick<Context, 'inputs' | 'host'>): Builds {
  const stop = new AbortController();
  const running = ctx.inputs.build.map(async (spec): Promise<BuildOutcome> => {
    const started = Date.now();
    const seconds = () => Math.round((Date.now() - started) / 100) / 10;
    try {
      const result = await ctx.host.run('docker', buildArgs(spec), {
        quiet: true,
        timeoutMs: BUILD_TIMEOUT_MS,
        signal: stop.signal,
      });
      return { spec, seconds: seconds(), result };
    } catch (error) {
      // Held, not thrown: nothing awaits this promise until join().
      return { spec, seconds: seconds(), error };
    }
  });
  return {
    async join() {
      const outcomes = await Promise.all(running);
      for (const o of outcomes) {
        const output = o.result ?? (o.error instanceof CommandError ? o.error.result : undefined);
        core.info(
          `${o.error ? 'Failed to build' : 'Built'} ${o.spec.image.raw} from ${o.spec.context} in ${o.seconds} s`,
        );
        if (output) core.info(`${output.stdout}${output.stderr}`.trimEnd());
      }
      const failed = outcomes.find((o) => o.error !== undefined);
      if (failed) {
        const why = failed.error instanceof Error ? failed.error.message : String(failed.error);
        throw new Error(`docker build of ${failed.spec.image.raw} failed: ${why}`, {
          cause: failed.error,
        });
      }
      return outcomes.map((o) => o.spec.image);
    },
    cancel() {
      stop.abort();
    },
  };
}

interface Planned {
  ref: ImageRef;
  method: DeliveryMethod;
  image: DockerImage;
}

/** The built images and the `images` input, each once, in that order. */
export function imagesToDeliver(built: ImageRef[], images: ImageRef[]): ImageRef[] {
  const seen = new Set<string>();
  return [...built, ...images].filter((r) => {
    const key = storedName(r);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Puts every built image and every `images` entry into the cluster: side-loaded into the node's
 * containerd in one `docker save | ctr import` stream, or pushed to its registry. Each image goes
 * into ctx.report.images (verified: false until verifyImages) the moment it is on the node or in
 * the registry, so a failed push still reports the images that did arrive. Every delivery runs to
 * its end before the first failure is thrown. Returns the reports, in input order.
 */
export async function deliverImages(ctx: Context, built: ImageRef[]): Promise<ImageReport[]> {
  const refs = imagesToDeliver(built, ctx.inputs.images);
  if (refs.length === 0) return [];
  const planned: Planned[] = await Promise.all(
    refs.map(async (ref) => ({
      ref,
      method: deliveryMethod(ref, ctx.inputs),
      image: await inspectDockerImage(ctx, ref),
    })),
  );
  const started = Date.now();
  const delivered = new Map<Planned, ImageReport>();
  const record = (p: Planned, digest: string): void => {
    delivered.set(p, {
      image: p.ref.raw,
      method: p.method,
      ref: storedName(p.ref),
      digest,
      verified: false,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    });
    ctx.report.images = planned.flatMap((q) => delivered.get(q) ?? []);
  };
  const sideLoads = planned.filter((p) => p.method === 'side-load');
  const outcomes = await Promise.allSettled([
    sideLoad(ctx, sideLoads, (p) => record(p, p.image.id)),
    ...planned.filter((p) => p.method === 'push').map(async (p) => record(p, await push(ctx, p))),
  ]);
  const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new Error(errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n'), {
      cause: errors[0],
    });
  }
  return planned.flatMap((p) => delivered.get(p) ?? []);
}

async function inspectDockerImage(ctx: Context, ref: ImageRef): Promise<DockerImage> {
  const r = await ctx.host.run('docker', inspectArgs(ref), { allowFailure: true, quiet: true });
  if (r.code !== 0) {
    throw new Error(
      `${ref.raw} is not in the runner's Docker (${lastLines(r.stderr, 1)}): build it with the build input or an earlier step, or docker pull it, before this action delivers it`,
    );
  }
  return parseInspect(r.stdout);
}

/** What the node's containerd holds, by name. */
async function nodeImages(ctx: Context): Promise<CtrImage[]> {
  return parseCtrImages((await ctx.microk8s.run(['ctr', 'images', 'ls'], { quiet: true })).stdout);
}

/** The config digest (Docker's image ID) of the image a containerd target points at. */
async function configDigest(
  ctx: Context,
  target: string,
  platform: string,
): Promise<string | undefined> {
  const get = async (digest: string) =>
    parseManifest(
      (await ctx.microk8s.run(['ctr', 'content', 'get', digest], { quiet: true })).stdout,
    );
  let content = await get(target);
  if (content.kind === 'index') {
    const manifest = manifestFor(content.manifests, platform);
    if (!manifest) return undefined;
    content = await get(manifest);
  }
  return content.kind === 'manifest' ? content.config : undefined;
}

/**
 * True when the node has the image under its name with the same digest. Docker's image ID is the
 * config digest (classic image store) or the manifest/index digest (containerd image store):
 * either one matching is the same image.
 */
async function onNode(
  ctx: Context,
  node: CtrImage[],
  p: Planned,
  platform: string,
): Promise<boolean> {
  const row = node.find((i) => i.ref === storedName(p.ref));
  if (!row) return false;
  if (row.digest === p.image.id) return true;
  try {
    return (await configDigest(ctx, row.digest, platform)) === p.image.id;
  } catch {
    return false;
  }
}

/** Side-loads `planned`, calling `delivered` for each image as soon as the node has it. */
async function sideLoad(
  ctx: Context,
  planned: Planned[],
  delivered: (p: Planned) => void,
): Promise<void> {
  if (planned.length === 0) return;
  for (const p of planned) {
    const warning = latestWarning(p.ref);
    if (warning) core.warning(warning, { title: 'Side-loaded image tagged latest' });
  }
  const platform = nodePlatform();
  const before = await nodeImages(ctx);
  const send: Planned[] = [];
  for (const p of planned) {
    if (await onNode(ctx, before, p, platform)) {
      core.info(
        `${storedName(p.ref)} is already on the node with image ID ${p.image.id}: not sent again`,
      );
      delivered(p);
    } else send.push(p);
  }
  if (send.length === 0) return;
  try {
    await ctx.host.pipe(
      ['docker', saveArgs(send.map((p) => p.ref)), { timeoutMs: TRANSFER_TIMEOUT_MS }],
      [MICROK8S, importArgs(platform), { sudo: true, timeoutMs: TRANSFER_TIMEOUT_MS }],
    );
  } catch (e) {
    const text = e instanceof CommandError ? e.result.stderr : '';
    const hint = /filtered out/i.test(text)
      ? ` The archive has nothing for the node's platform ${platform}: build the images for ${platform} (\`docker image inspect --format '{{.Os}}/{{.Architecture}}'\` shows theirs).`
      : '';
    throw new Error(
      `Side-loading ${send.map((p) => dockerName(p.ref)).join(', ')} failed: ${e instanceof Error ? e.message : String(e)}${hint}`,
      { cause: e },
    );
  }
  // `microk8s images import` can report success and import nothing (canonical/microk8s#4304):
  // only the node's own list proves the images are there.
  const after = await nodeImages(ctx);
  const missing: Planned[] = [];
  for (const p of send) {
    if (await onNode(ctx, after, p, platform)) {
      core.info(`${storedName(p.ref)} is on the node (image ID ${p.image.id})`);
      delivered(p);
    } else missing.push(p);
  }
  if (missing.length > 0) {
    throw new Error(
      `Side-loading ${missing.map((p) => dockerName(p.ref)).join(', ')}: the import finished, but the node's containerd has no ${missing.map((p) => `${storedName(p.ref)} with image ID ${p.image.id}`).join(', nor ')}. \`microk8s ctr images ls\` lists: ${after.map((i) => i.ref).join(', ') || 'nothing'}`,
    );
  }
}

async function push(ctx: Context, p: Planned): Promise<string> {
  let r: RunResult;
  try {
    r = await ctx.host.run('docker', pushArgs(p.ref), {
      retry: pushRetryPolicy(),
      quiet: true,
      timeoutMs: TRANSFER_TIMEOUT_MS,
    });
  } catch (e) {
    const stderr = e instanceof CommandError ? e.result.stderr : '';
    const diagnosis = diagnosePushFailure(stderr, p.ref);
    throw new Error(
      `docker push of ${dockerName(p.ref)} failed: ${e instanceof Error ? e.message : String(e)}${diagnosis ? `\n${diagnosis}` : ''}`,
      { cause: e },
    );
  }
  const digest =
    parsePushDigest(r.stdout) ??
    repoDigestFor(p.ref, (await inspectDockerImage(ctx, p.ref)).repoDigests);
  if (!digest) {
    throw new Error(
      `docker push of ${dockerName(p.ref)} named no digest: ${lastLines(r.stdout + r.stderr, 3)}`,
    );
  }
  core.info(`Pushed ${dockerName(p.ref)} (${digest})`);
  return digest;
}
