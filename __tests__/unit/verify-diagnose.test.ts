import { describe, expect, it } from 'vitest';
import { parseImageRef } from '../../src/image-ref.js';
import {
  TIMEOUT_REASON,
  diagnosePullFailure,
  diagnosePushFailure,
} from '../../src/pull-failure.js';

// The kubelet's messages as containerd's CRI words them (containerd 1.6/1.7).
const failed = (image: string, desc: string, code = 'Unknown') =>
  `Failed to pull image "${image}": rpc error: code = ${code} desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${desc}`;

const HTTP = failed(
  '10.141.241.175:32000/mynginx:registry',
  'failed to do request: Head "https://10.141.241.175:32000/v2/mynginx/manifests/registry": http: server gave HTTP response to HTTPS client',
);
const UNAUTHORIZED = failed(
  'registry.example.com:5000/team/app:1.0',
  'pulling from host registry.example.com:5000 failed with status code [manifests 1.0]: 401 Unauthorized',
);
const FORBIDDEN = failed(
  'registry.example.com:5000/team/app:1.0',
  'unexpected status from HEAD request to https://registry.example.com:5000/v2/team/app/manifests/1.0: 403 Forbidden',
);
const NOT_FOUND = failed(
  'localhost:32000/mynginx:typo',
  'localhost:32000/mynginx:typo: not found',
  'NotFound',
);
const HUB_DENIED = failed(
  'docker.io/library/mynginx:latest',
  'pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
);
const NO_DNS = failed(
  'docker.io/library/mynginx:latest',
  'failed to do request: Head "https://registry-1.docker.io/v2/library/mynginx/manifests/latest": dial tcp: lookup registry-1.docker.io: no such host',
);
const X509 = failed(
  'registry.example.com:5000/team/app:1.0',
  'failed to do request: Head "https://registry.example.com:5000/v2/team/app/manifests/1.0": tls: failed to verify certificate: x509: certificate signed by unknown authority',
);
const RATE = failed(
  'docker.io/library/nginx:1.27',
  'unexpected status from HEAD request: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.',
);
const REFUSED = failed(
  'localhost:32000/mynginx:registry',
  'failed to do request: Head "http://localhost:32000/v2/mynginx/manifests/registry": dial tcp 127.0.0.1:32000: connect: connection refused',
);

describe('diagnosePullFailure', () => {
  it.each([
    // [case, message, reason, image, method, the diagnosis names…]
    [
      'HTTPS to a plain-HTTP registry',
      HTTP,
      'ErrImagePull',
      '10.141.241.175:32000/mynginx:registry',
      'push',
      /add 10\.141\.241\.175:32000 to insecure-registries/,
    ],
    [
      'the same after back-off',
      HTTP,
      'ImagePullBackOff',
      '10.141.241.175:32000/mynginx:registry',
      'push',
      /insecure-registries/,
    ],
    [
      '401 from a private registry',
      UNAUTHORIZED,
      'ErrImagePull',
      'registry.example.com:5000/team/app:1.0',
      'push',
      /401\/403.*registry-server: registry\.example\.com:5000, registry-username and registry-password/,
    ],
    [
      '403 from a private registry',
      FORBIDDEN,
      'ErrImagePull',
      'registry.example.com:5000/team/app:1.0',
      'push',
      /registry-username and registry-password/,
    ],
    [
      'a tag never pushed',
      NOT_FOUND,
      'ErrImagePull',
      'localhost:32000/mynginx:typo',
      'push',
      /has no mynginx:typo: the tag was never pushed/,
    ],
    [
      'a tag never pushed, image not delivered by the action',
      NOT_FOUND,
      'ErrImagePull',
      'localhost:32000/mynginx:typo',
      undefined,
      /never pushed/,
    ],
    [
      'side-loaded :latest, denied by Docker Hub',
      HUB_DENIED,
      'ErrImagePull',
      'mynginx:latest',
      'side-load',
      /side-loaded, but its tag is latest.*imagePullPolicy: Always.*mynginx:1\.0.*IfNotPresent/,
    ],
    [
      'side-loaded :latest, Docker Hub unreachable',
      NO_DNS,
      'ErrImagePull',
      'mynginx:latest',
      'side-load',
      /its tag is latest/,
    ],
    [
      'side-loaded without a tag',
      NO_DNS,
      'ErrImagePull',
      'mynginx',
      'side-load',
      /it has no tag, which means latest/,
    ],
    [
      'side-loaded :latest that never got pulled in time',
      '',
      TIMEOUT_REASON,
      'mynginx:latest',
      'side-load',
      /its tag is latest/,
    ],
    [
      'side-loaded with a version tag, missing on the node',
      HUB_DENIED,
      'ErrImagePull',
      'mynginx:local',
      'side-load',
      /had no image named docker\.io\/library\/mynginx:local.*never loaded under that name/,
    ],
    [
      'pull policy Never, image absent',
      'Container image "mynginx:2.0" is not present with pull policy of Never',
      'ErrImageNeverPull',
      'mynginx:2.0',
      undefined,
      /imagePullPolicy: Never.*no image named docker\.io\/library\/mynginx:2\.0/,
    ],
    [
      'an invalid name',
      'Failed to apply default image tag "MyNginx:1": couldn\'t parse image name "MyNginx:1": invalid reference format',
      'InvalidImageName',
      'mynginx:1',
      undefined,
      /not an image reference the kubelet accepts/,
    ],
    [
      'an untrusted certificate',
      X509,
      'ErrImagePull',
      'registry.example.com:5000/team/app:1.0',
      'push',
      /registry-ca/,
    ],
    [
      'the Docker Hub rate limit',
      RATE,
      'ErrImagePull',
      'nginx:1.27',
      undefined,
      /429 Too Many Requests/,
    ],
    [
      'the built-in registry not running',
      REFUSED,
      'ErrImagePull',
      'localhost:32000/mynginx:registry',
      'push',
      /cannot reach localhost:32000.*registry: true/,
    ],
    [
      'no pull within verify-timeout',
      'Pulling image "registry.example.com:5000/team/app:1.0"',
      TIMEOUT_REASON,
      'registry.example.com:5000/team/app:1.0',
      'push',
      /within verify-timeout/,
    ],
    [
      'anything else',
      'rpc error: code = Unknown desc = something new',
      'ErrImagePull',
      'registry.example.com:5000/team/app:1.0',
      'push',
      /its message above says why/,
    ],
  ] as const)('%s', (_case, message, reason, image, method, expected) => {
    expect(diagnosePullFailure(message, reason, parseImageRef(image), method)).toMatch(expected);
  });

  it('blames the pull policy, not the credentials, for a side-loaded :latest', () => {
    const d = diagnosePullFailure(
      HUB_DENIED,
      'ErrImagePull',
      parseImageRef('mynginx:latest'),
      'side-load',
    );
    expect(d).not.toMatch(/registry-username/);
  });

  it('blames the credentials for a 401 from Docker Hub on an image the action did not side-load', () => {
    const d = diagnosePullFailure(
      HUB_DENIED,
      'ErrImagePull',
      parseImageRef('kjackal/private:1'),
      undefined,
    );
    expect(d).toMatch(/registry-username.*/);
    expect(d).toMatch(/or the repository does not exist/);
  });
});

describe('diagnosePushFailure', () => {
  it.each([
    [
      'Get "https://10.141.241.175:32000/v2/": http: server gave HTTP response to HTTPS client',
      '10.141.241.175:32000/mynginx:registry',
      /runner's Docker spoke HTTPS.*add 10\.141\.241\.175:32000 to insecure-registries/,
    ],
    [
      'unauthorized: authentication required',
      'registry.example.com:5000/app:1',
      /refused the push.*registry-username/,
    ],
    ['no basic auth credentials', 'registry.example.com:5000/app:1', /registry-password/],
    [
      'Get "https://registry.example.com:5000/v2/": x509: certificate signed by unknown authority',
      'registry.example.com:5000/app:1',
      /registry-ca/,
    ],
    [
      'dial tcp 127.0.0.1:32000: connect: connection refused',
      'localhost:32000/mynginx:registry',
      /registry: true/,
    ],
    ['something new', 'localhost:32000/mynginx:registry', /^$/],
  ])('%s', (stderr, image, expected) => {
    expect(diagnosePushFailure(stderr, parseImageRef(image))).toMatch(expected);
  });
});
