/** The name of the pull secret the action creates for `registry-server`. */
export const PULL_SECRET = 'setup-microk8s-registry';

/**
 * A `kubernetes.io/dockerconfigjson` Secret, as `kubectl create secret docker-registry` makes it,
 * built here so the password reaches kubectl on stdin and never on a command line.
 */
export function pullSecretManifest(
  server: string,
  username: string,
  password: string,
  namespace: string,
): string {
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  const dockerconfig = { auths: { [server]: { username, password, auth } } };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: PULL_SECRET,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'setup-microk8s' },
    },
    type: 'kubernetes.io/dockerconfigjson',
    data: {
      '.dockerconfigjson': Buffer.from(JSON.stringify(dockerconfig), 'utf8').toString('base64'),
    },
  });
}
