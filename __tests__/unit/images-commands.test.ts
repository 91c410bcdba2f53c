import { describe, expect, it } from 'vitest';
import { deliveryProblem } from '../../src/image-ref.js';
import {
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
} from '../../src/image-commands.js';
import { parseImageRef } from '../../src/image-ref.js';
import { imagesToDeliver } from '../../src/images.js';
import { Inputs, parseRegistryHost } from '../../src/inputs.js';

const ref = parseImageRef;
const ID = `sha256:${'1'.repeat(64)}`;
const D = `sha256:${'d'.repeat(64)}`;

describe('docker and ctr argument lists', () => {
  it('builds IMAGE from CONTEXT as the build input promises', () => {
    expect(buildArgs({ image: ref('mynginx:local'), context: '/ws/app' })).toEqual([
      'build',
      '/ws/app',
      '-t',
      'mynginx:local',
    ]);
  });

  it.each([
    ['mynginx:local', 'mynginx:local'],
    ['mynginx', 'mynginx:latest'],
    ['localhost:32000/mynginx', 'localhost:32000/mynginx:latest'],
    ['10.141.241.175:32000/mynginx:registry', '10.141.241.175:32000/mynginx:registry'],
  ])('names %s to docker as %s (never a whole repository)', (raw, name) => {
    expect(dockerName(ref(raw))).toBe(name);
  });

  it('saves every side-loaded image in one archive', () => {
    expect(saveArgs([ref('a:1'), ref('b'), ref('ghcr.io/o/c:2')])).toEqual([
      'save',
      'a:1',
      'b:latest',
      'ghcr.io/o/c:2',
    ]);
  });

  it('imports from stdin for the node platform only, never --all-platforms', () => {
    const args = importArgs('linux/amd64');
    expect(args).toEqual(['ctr', 'image', 'import', '--platform', 'linux/amd64', '-']);
    expect(args).not.toContain('--all-platforms');
  });

  it.each([
    ['x64', 'linux/amd64'],
    ['arm64', 'linux/arm64'],
    ['ppc64', 'linux/ppc64le'],
    ['s390x', 'linux/s390x'],
  ])('maps the runner arch %s to the platform %s', (arch, platform) => {
    expect(nodePlatform(arch)).toBe(platform);
  });

  it('refuses an arch MicroK8s has no build for', () => {
    expect(() => nodePlatform('mips')).toThrow(/mips runner/);
  });

  it('pushes exactly the tag named', () => {
    expect(pushArgs(ref('localhost:32000/mynginx'))).toEqual([
      'push',
      'localhost:32000/mynginx:latest',
    ]);
    expect(pushArgs(ref('localhost:32000/mynginx:registry'))).toEqual([
      'push',
      'localhost:32000/mynginx:registry',
    ]);
  });

  it('inspects the ID and the repo digests', () => {
    expect(inspectArgs(ref('mynginx:local'))).toEqual([
      'image',
      'inspect',
      '--format',
      '{{json .Id}} {{json .RepoDigests}}',
      'mynginx:local',
    ]);
  });
});

describe('reading docker and ctr output', () => {
  it.each([
    [`"${ID}" []\n`, { id: ID, repoDigests: [] }],
    [`"${ID}" null\n`, { id: ID, repoDigests: [] }],
    [`"${ID}" ["localhost:5000/a@${D}"]`, { id: ID, repoDigests: [`localhost:5000/a@${D}`] }],
  ])('reads inspect output %j', (stdout, image) => {
    expect(parseInspect(stdout)).toEqual(image);
  });

  it('reads the digest docker push printed', () => {
    const out = `The push refers to repository [localhost:5000/a]\n783171edb38c: Pushed\n1: digest: ${D} size: 528\n`;
    expect(parsePushDigest(out)).toBe(D);
    expect(parsePushDigest('The push refers to repository [x]\n')).toBeUndefined();
  });

  it.each([
    ['localhost:5000/a:1', [`localhost:5000/a@${D}`], D],
    ['localhost:5000/a:1', [`localhost:5000/ab@${ID}`, `localhost:5000/a@${D}`], D],
    ['localhost:5000/a', [`localhost:5000/a@${D}`], D],
    ['localhost:5000/a:1', [`other:5000/a@${D}`], undefined],
  ])('finds the repo digest of %s', (raw, digests, digest) => {
    expect(repoDigestFor(ref(raw), digests)).toBe(digest);
  });

  it('reads `ctr images ls` (a SIZE with a space in it included)', () => {
    // As containerd 1.6.20 prints it after `docker save mynginx:local b:2 | ctr image import -`.
    const out = `REF                             TYPE                                                 DIGEST                                                                  SIZE    PLATFORMS   LABELS
docker.io/library/b:2           application/vnd.docker.distribution.manifest.v2+json ${D} 1.9 MiB linux/amd64 io.cri-containerd.image=managed
docker.io/library/mynginx:local application/vnd.docker.distribution.manifest.v2+json ${D} 1.9 MiB linux/amd64 io.cri-containerd.image=managed
${ID} application/vnd.docker.distribution.manifest.v2+json ${D} 1.9 MiB linux/amd64 io.cri-containerd.image=managed
`;
    expect(parseCtrImages(out)).toEqual([
      {
        ref: 'docker.io/library/b:2',
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        digest: D,
      },
      {
        ref: 'docker.io/library/mynginx:local',
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        digest: D,
      },
      { ref: ID, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: D },
    ]);
    expect(parseCtrImages('REF TYPE DIGEST SIZE PLATFORMS LABELS\n')).toEqual([]);
  });

  it('reads a manifest and picks the node platform out of an index', () => {
    expect(
      parseManifest(JSON.stringify({ schemaVersion: 2, config: { digest: ID }, layers: [] })),
    ).toEqual({
      kind: 'manifest',
      config: ID,
    });
    const index = parseManifest(
      JSON.stringify({
        manifests: [
          { digest: 'sha256:arm', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
          { digest: 'sha256:amd', platform: { os: 'linux', architecture: 'amd64' } },
          { digest: 'sha256:att', platform: { os: 'unknown', architecture: 'unknown' } },
        ],
      }),
    );
    expect(index.kind).toBe('index');
    if (index.kind !== 'index') return;
    expect(manifestFor(index.manifests, 'linux/amd64')).toBe('sha256:amd');
    expect(manifestFor(index.manifests, 'linux/arm/v7')).toBe('sha256:arm');
    expect(manifestFor(index.manifests, 'linux/s390x')).toBeUndefined();
    expect(() => parseManifest('{"kind":"Pod"}')).toThrow(/neither/);
  });
});

describe('pushRetryPolicy', () => {
  const transient = (stderr: string) =>
    pushRetryPolicy().transient({ code: 1, stdout: '', stderr });
  it.each([
    [
      'Put "http://10.141.241.175:32000/v2/mynginx/blobs/uploads/": dial tcp 10.141.241.175:32000: connect: connection refused',
      true,
    ],
    ['received unexpected HTTP status: 503 Service Unavailable', true],
    ['net/http: TLS handshake timeout', true],
    ['read tcp 127.0.0.1:40000->127.0.0.1:5000: read: connection reset by peer', true],
    ['toomanyrequests: too many requests', true],
    [
      'Get "https://10.141.241.175:32000/v2/": http: server gave HTTP response to HTTPS client',
      false,
    ],
    ['unauthorized: authentication required', false],
    ['denied: requested access to the resource is denied', false],
    ['no basic auth credentials', false],
    ['x509: certificate signed by unknown authority', false],
    ['tag does not exist: localhost:5000/a:nope', false],
    ['An image does not exist locally with the tag: localhost:5000/a', false],
  ])('%s → transient %s', (stderr, expected) => {
    expect(transient(stderr)).toBe(expected);
  });
});

describe('deliveryMethod', () => {
  const inputs = (over: Partial<Inputs> = {}) => ({
    load: 'auto' as const,
    insecureRegistries: [parseRegistryHost('insecure-registries', '10.141.241.175:32000')],
    registryServer: parseRegistryHost('registry-server', 'registry.example.com:5000'),
    ...over,
  });
  it.each([
    ['mynginx:local', 'side-load'],
    ['kjackal/mynginx:public', 'side-load'],
    ['ghcr.io/org/app:1', 'side-load'],
    ['localhost:32000/mynginx:registry', 'push'],
    ['10.141.241.175:32000/mynginx:registry', 'push'],
    ['10.141.241.175:5000/mynginx:registry', 'side-load'],
    ['registry.example.com:5000/team/app:1.0', 'push'],
    ['Registry.Example.com:5000/team/app:1.0', 'push'],
    ['127.0.0.1:32000/mynginx:registry', 'side-load'],
  ])('auto delivers %s by %s', (raw, method) => {
    expect(deliveryMethod(ref(raw), inputs())).toBe(method);
  });

  it.each(['side-load', 'push'] as const)('load: %s forces that way for every image', (load) => {
    for (const raw of ['mynginx:local', 'localhost:32000/mynginx:registry']) {
      expect(deliveryMethod(ref(raw), inputs({ load }))).toBe(load);
    }
  });
});

describe('what cannot be delivered, and what deserves a warning', () => {
  it('refuses a reference pinned by digest, naming a tag to use instead', () => {
    expect(deliveryProblem(ref(`localhost:32000/mynginx@${D}`))).toMatch(
      /pinned by digest.*localhost:32000\/mynginx:1\.0/,
    );
    expect(deliveryProblem(ref('mynginx:local'))).toBeUndefined();
  });

  it.each([
    [
      'mynginx:latest',
      /tag latest: Kubernetes gives such an image imagePullPolicy: Always.*mynginx:1\.0/,
    ],
    ['mynginx', /no tag means latest/],
  ])('warns about side-loading %s', (raw, text) => {
    expect(latestWarning(ref(raw))).toMatch(text);
  });

  it.each(['mynginx:local', 'mynginx:1.0'])('does not warn about %s', (raw) => {
    expect(latestWarning(ref(raw))).toBeUndefined();
  });
});

describe('imagesToDeliver', () => {
  it('delivers built images first and each image once', () => {
    const list = imagesToDeliver(
      [ref('mynginx:local'), ref('localhost:32000/a:1')],
      [ref('docker.io/library/mynginx:local'), ref('b'), ref('b:latest')],
    );
    expect(list.map((r) => r.raw)).toEqual(['mynginx:local', 'localhost:32000/a:1', 'b']);
  });
});
