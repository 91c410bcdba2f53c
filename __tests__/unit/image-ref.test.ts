import { describe, expect, it } from 'vitest';
import { defaultPullPolicy, parseImageRef, storedName } from '../../src/image-ref.js';

describe('parseImageRef', () => {
  it.each([
    ['mynginx:local', 'docker.io', 'library/mynginx', 'local', 'docker.io/library/mynginx:local'],
    [
      'kjackal/mynginx:public',
      'docker.io',
      'kjackal/mynginx',
      'public',
      'docker.io/kjackal/mynginx:public',
    ],
    [
      'localhost:32000/mynginx:registry',
      'localhost:32000',
      'mynginx',
      'registry',
      'localhost:32000/mynginx:registry',
    ],
    ['localhost/mynginx', 'localhost', 'mynginx', undefined, 'localhost/mynginx'],
    [
      '10.141.241.175:32000/mynginx:registry',
      '10.141.241.175:32000',
      'mynginx',
      'registry',
      '10.141.241.175:32000/mynginx:registry',
    ],
    ['ghcr.io/org/app/web:1.2.3', 'ghcr.io', 'org/app/web', '1.2.3', 'ghcr.io/org/app/web:1.2.3'],
    [
      'index.docker.io/library/busybox:1.36',
      'docker.io',
      'library/busybox',
      '1.36',
      'docker.io/library/busybox:1.36',
    ],
    ['busybox', 'docker.io', 'library/busybox', undefined, 'docker.io/library/busybox'],
  ])('reads %s', (raw, registry, repository, tag, normalized) => {
    expect(parseImageRef(raw)).toMatchObject({ registry, repository, tag, normalized });
  });

  it('reads a digest', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseImageRef(`reg.example.com:5000/app@${d}`)).toMatchObject({
      registry: 'reg.example.com:5000',
      digest: d,
      tag: undefined,
    });
  });

  it.each([
    '',
    'My/App:1',
    'app:',
    'app::1',
    'app:lo cal',
    'reg.example.com:99999/app:1',
    `app@sha256:xyz`,
    'app/:1',
    '/app',
  ])('rejects %j, quoting it', (raw) => {
    expect(() => parseImageRef(raw)).toThrow(`'${raw}' is not a valid image reference`);
  });
});

describe('defaultPullPolicy', () => {
  it.each([
    ['mynginx:local', 'IfNotPresent'],
    ['mynginx:latest', 'Always'],
    ['mynginx', 'Always'],
    [`mynginx@sha256:${'b'.repeat(64)}`, 'IfNotPresent'],
  ])('%s → %s, as Kubernetes defaults it', (raw, policy) => {
    expect(defaultPullPolicy(parseImageRef(raw))).toBe(policy);
  });
});

describe('storedName', () => {
  it('adds the implicit latest tag', () => {
    expect(storedName(parseImageRef('mynginx'))).toBe('docker.io/library/mynginx:latest');
    expect(storedName(parseImageRef('mynginx:1'))).toBe('docker.io/library/mynginx:1');
  });
});
