import * as core from '@actions/core';
import { CommandError, Host, RetryPolicy, RunOptions, RunResult, lastLines } from './host.js';
import { Addon } from './inputs.js';
import { ForwardingChange, Journal } from './state.js';

/** Called by absolute path: sudo's secure_path may lack /snap/bin. */
export const MICROK8S = '/snap/bin/microk8s';
export const SNAP_DATA = '/var/snap/microk8s/current';

/** The workloads that say an addon is really up, not merely "enabled". */
export const ADDON_WORKLOADS: Record<string, { namespace: string; resource: string }[]> = {
  dns: [{ namespace: 'kube-system', resource: 'deployment/coredns' }],
  'hostpath-storage': [{ namespace: 'kube-system', resource: 'deployment/hostpath-provisioner' }],
  storage: [{ namespace: 'kube-system', resource: 'deployment/hostpath-provisioner' }],
  registry: [
    { namespace: 'kube-system', resource: 'deployment/hostpath-provisioner' },
    { namespace: 'container-registry', resource: 'deployment/registry' },
  ],
  metallb: [{ namespace: 'metallb-system', resource: 'deployment/controller' }],
  ingress: [{ namespace: 'ingress', resource: 'daemonset/nginx-ingress-microk8s-controller' }],
};

/**
 * `microk8s enable` exits 0 for an addon that no repository has when the name is qualified, and
 * for one that is already on; only its output tells (scripts/wrappers/common/utils.py).
 */
export function addonNotFound(result: RunResult): boolean {
  return /Addon \S+ (was )?not found/i.test(`${result.stdout}\n${result.stderr}`);
}

/** snapd's service-control change from the install can still run when the first enable starts. */
export function enableRetryPolicy(deadline: number): RetryPolicy {
  return {
    attempts: 10,
    initialDelayMs: 2_000,
    maxDelayMs: 20_000,
    factor: 2,
    deadline,
    transient: (r) =>
      /change in progress|too early for operation|not running|connection refused/i.test(
        r.stderr + r.stdout,
      ),
  };
}

/** Seconds left before the deadline, at least 1. */
export function secondsLeft(deadline: number): number {
  return Math.max(1, Math.floor((deadline - Date.now()) / 1000));
}

/** A phase that did not finish before the deadline: names what is not ready and shows its state. */
export class NotReadyError extends Error {
  constructor(what: string, state: string, options?: ErrorOptions) {
    super(`${what} was not ready before the timeout.${state ? `\n${state}` : ''}`, options);
    this.name = 'NotReadyError';
  }
}

export class MicroK8s {
  constructor(private readonly host: Host) {}

  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.host.run(MICROK8S, args, { sudo: true, ...opts });
  }

  kubectl(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.run(['kubectl', ...args], opts);
  }

  /** Node Ready and the API serving (`microk8s status --wait-ready`). */
  async waitReady(deadline: number): Promise<void> {
    try {
      await this.run(['status', '--wait-ready', '--timeout', String(secondsLeft(deadline))], {
        timeoutMs: secondsLeft(deadline) * 1000 + 30_000,
        quiet: true,
      });
    } catch (e) {
      throw new NotReadyError('The MicroK8s node', await this.clusterState(), { cause: e });
    }
  }

  async enable(addon: Addon, deadline: number): Promise<void> {
    const r = await this.run(['enable', ...addon.words], {
      retry: enableRetryPolicy(deadline),
      timeoutMs: secondsLeft(deadline) * 1000,
    });
    if (addonNotFound(r)) {
      throw new Error(
        `addons: '${addon.raw}' is not an addon of this MicroK8s: ${lastLines(r.stdout + r.stderr, 2)}. \`microk8s status\` lists the addons it has`,
      );
    }
  }

  /** Waits until each of the addon's workloads has rolled out. */
  async waitForAddon(name: string, deadline: number): Promise<void> {
    for (const w of ADDON_WORKLOADS[name] ?? []) {
      await this.rollout(
        w.namespace,
        w.resource,
        deadline,
        `The ${name} addon (${w.resource} in ${w.namespace})`,
      );
    }
  }

  async rollout(
    namespace: string,
    resource: string,
    deadline: number,
    what: string,
  ): Promise<void> {
    try {
      await this.kubectl(
        ['-n', namespace, 'rollout', 'status', resource, `--timeout=${secondsLeft(deadline)}s`],
        {
          timeoutMs: secondsLeft(deadline) * 1000 + 30_000,
          quiet: true,
        },
      );
    } catch (e) {
      const state = await this.kubectl(['-n', namespace, 'get', 'pods', '-o', 'wide'], {
        allowFailure: true,
        quiet: true,
      });
      throw new NotReadyError(what, state.stdout + state.stderr, { cause: e });
    }
  }

  async config(): Promise<string> {
    return (await this.run(['config'], { quiet: true })).stdout;
  }

  async kubernetesVersion(): Promise<string> {
    const r = await this.kubectl(['version', '-o', 'json'], { quiet: true });
    const v = (JSON.parse(r.stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion
      ?.gitVersion;
    if (!v)
      throw new Error(
        `\`microk8s kubectl version -o json\` named no server version: ${lastLines(r.stdout, 3)}`,
      );
    return v;
  }

  /** The state of the node and its pods, for error messages. */
  async clusterState(): Promise<string> {
    const parts: string[] = [];
    for (const args of [
      ['get', 'nodes', '-o', 'wide'],
      ['get', 'pods', '-A', '-o', 'wide'],
    ]) {
      try {
        const r = await this.kubectl(args, { allowFailure: true, quiet: true, timeoutMs: 30_000 });
        parts.push(`$ kubectl ${args.join(' ')}\n${(r.stdout + r.stderr).trimEnd()}`);
      } catch (e) {
        parts.push(
          `$ kubectl ${args.join(' ')}\n${e instanceof CommandError ? e.message : String(e)}`,
        );
      }
    }
    return parts.join('\n');
  }
}

/** The policy in `iptables -S FORWARD` (`-P FORWARD DROP`), or undefined if it names none. */
export function forwardPolicy(rules: string): string | undefined {
  return /^-P FORWARD (\S+)/m.exec(rules)?.[1];
}

/**
 * Keeps pod traffic flowing on a runner whose Docker set the FORWARD policy to DROP. With a
 * journal, each change is recorded before it is made, so the post step can put it back.
 */
export async function allowForwarding(host: Host, journal?: Journal): Promise<void> {
  const iptables = (args: string[], check = false) =>
    host.run('iptables', args, { sudo: true, allowFailure: check, quiet: check });
  const hasDockerUser = (await iptables(['-n', '-L', 'DOCKER-USER'], true)).code === 0;
  const policy = forwardPolicy((await iptables(['-S', 'FORWARD'], true)).stdout) ?? 'ACCEPT';
  if (policy !== 'ACCEPT') {
    journal?.recordForwarding({ policy, dockerUserRule: false });
    await iptables(['-P', 'FORWARD', 'ACCEPT']);
  }
  if (hasDockerUser && (await iptables(['-C', 'DOCKER-USER', '-j', 'ACCEPT'], true)).code !== 0) {
    journal?.recordForwarding({ policy, dockerUserRule: true });
    await iptables(['-I', 'DOCKER-USER', '-j', 'ACCEPT']);
  }
  core.info(
    `Docker is on this runner, and a FORWARD policy of DROP (Docker's default) cuts pod traffic: the policy ${policy === 'ACCEPT' ? 'was already ACCEPT' : `was ${policy}, now ACCEPT`}${hasDockerUser ? '; DOCKER-USER accepts forwarded traffic' : ''}`,
  );
}

/** Puts back what allowForwarding changed. */
export async function restoreForwarding(host: Host, change: ForwardingChange): Promise<void> {
  if (change.dockerUserRule) {
    // A Docker restart since main rebuilt DOCKER-USER without our rule: nothing to delete then.
    const present = await host.run('iptables', ['-C', 'DOCKER-USER', '-j', 'ACCEPT'], {
      sudo: true,
      allowFailure: true,
      quiet: true,
    });
    if (present.code === 0)
      await host.run('iptables', ['-D', 'DOCKER-USER', '-j', 'ACCEPT'], { sudo: true });
  }
  if (change.policy !== 'ACCEPT')
    await host.run('iptables', ['-P', 'FORWARD', change.policy], { sudo: true });
}
