import { Sandbox } from './sandbox.js';

// Registries on "another machine" (the sandbox's `reghost` namespace), each with a second,
// plain-HTTP listener on the node's loopback over the same storage. Docker trusts loopback
// without any setting, so the test can put images in a registry before the action runs, and the
// action's own work is the only thing that makes the public address reachable.

export interface RegistryOptions {
  name: string;
  /** host:port in reghost, e.g. 10.141.241.175:32000. */
  listen: string;
  /** 127.0.0.1:port on the node, for seeding. */
  seed: string;
  /** Serve TLS with a certificate for these SANs, signed by a CA of its own. */
  tlsSans?: string[];
  htpasswd?: { user: string; password: string };
}

export interface StartedRegistry {
  seed: string;
  /** Path of the CA (PEM) inside the sandbox, for TLS registries. */
  caPath?: string;
  caPem?: string;
}

async function waitForPort(sandbox: Sandbox, netns: string[], hostPort: string): Promise<void> {
  const [h, p] = hostPort.split(':');
  await sandbox.sh(
    `for _ in $(seq 1 200); do ${netns.join(' ')} bash -c 'exec 3<>/dev/tcp/${h}/${p}' 2>/dev/null && exit 0; sleep 0.05; done; exit 1`,
  );
}

export async function startRegistry(
  sandbox: Sandbox,
  o: RegistryOptions,
): Promise<StartedRegistry> {
  const dir = `/run/reg/${o.name}`;
  const config = (addr: string, extra: string) =>
    `version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${addr}\n${extra}`;
  let tls = '';
  let auth = '';
  let caPath: string | undefined;
  if (o.tlsSans) {
    const san = o.tlsSans.map((s) => (/^[\d.]+$/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(',');
    await sandbox.sh(
      [
        `set -e; mkdir -p ${dir}; cd ${dir}`,
        `openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sandbox-ca -keyout ca.key -out ca.crt 2>/dev/null`,
        `openssl req -newkey rsa:2048 -nodes -subj /CN=${o.tlsSans[0]} -keyout tls.key -out tls.csr 2>/dev/null`,
        `printf 'subjectAltName=${san}\\nextendedKeyUsage=serverAuth\\n' > ext.cnf`,
        `openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out tls.crt 2>/dev/null`,
      ].join('\n'),
    );
    tls = `  tls:\n    certificate: ${dir}/tls.crt\n    key: ${dir}/tls.key\n`;
    caPath = `${dir}/ca.crt`;
  }
  if (o.htpasswd) {
    await sandbox.sh(
      `mkdir -p ${dir} && htpasswd -Bbn '${o.htpasswd.user}' '${o.htpasswd.password}' > ${dir}/htpasswd`,
    );
    auth = `auth:\n  htpasswd:\n    realm: sandbox\n    path: ${dir}/htpasswd\n`;
  }
  sandbox.writeFile(`${dir}/public.yml`, `${config(o.listen, tls)}${auth}`);
  sandbox.writeFile(`${dir}/seed.yml`, config(o.seed, ''));
  await sandbox.sh(
    `ip netns exec reghost setsid docker-registry serve ${dir}/public.yml >> /run/logs/registry-${o.name}.log 2>&1 < /dev/null &
     setsid docker-registry serve ${dir}/seed.yml >> /run/logs/registry-${o.name}-seed.log 2>&1 < /dev/null &`,
  );
  await waitForPort(sandbox, ['ip', 'netns', 'exec', 'reghost'], o.listen);
  await waitForPort(sandbox, [], o.seed);
  return { seed: o.seed, caPath, caPem: caPath && sandbox.readFile(caPath)?.toString() };
}

/**
 * Puts a one-layer image (a static busybox) into the registry as `repo:tag`, pushed by the
 * sandbox's Docker through the loopback seed listener. Nothing comes from Docker Hub.
 */
export async function seedImage(
  sandbox: Sandbox,
  registry: StartedRegistry,
  repoTag: string,
): Promise<void> {
  const ref = `${registry.seed}/${repoTag}`;
  await sandbox.sh(
    `set -e; r=$(mktemp -d); mkdir -p $r/bin; cp /bin/busybox $r/bin/; ln -s busybox $r/bin/sh
     tar -C $r -c . | docker import - ${ref} >/dev/null
     docker push ${ref} >/dev/null
     docker rmi -f ${ref} >/dev/null; rm -rf $r`,
  );
}
