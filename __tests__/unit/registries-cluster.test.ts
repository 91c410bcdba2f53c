import { describe, expect, it } from 'vitest';
import { registryAddon } from '../../src/registries/builtin-registry.js';
import { imagePullSecretsPatch } from '../../src/registries/private-registry.js';

describe('registryAddon', () => {
  it.each([
    [19, ['registry:size=40Gi']],
    [22, ['registry:size=40Gi']],
    [24, ['registry:size=40Gi']],
    [25, ['registry', '--size', '40Gi']],
    [34, ['registry', '--size', '40Gi']],
    [undefined, ['registry', '--size', '40Gi']],
  ])('on 1.%s enables %j', (minor, words) => {
    expect(registryAddon('40Gi', minor)).toEqual({ raw: words.join(' '), name: 'registry', words });
  });
});

describe('imagePullSecretsPatch', () => {
  it.each([
    [
      'a service account without pull secrets',
      '{"metadata":{"name":"default"}}',
      { imagePullSecrets: [{ name: 'regcred' }] },
    ],
    [
      'one that has another, which it keeps',
      '{"metadata":{"name":"default"},"imagePullSecrets":[{"name":"other"}]}',
      { imagePullSecrets: [{ name: 'other' }, { name: 'regcred' }] },
    ],
  ])('adds the secret to %s', (_what, sa, patch) => {
    expect(JSON.parse(imagePullSecretsPatch(sa, 'regcred')!)).toEqual(patch);
  });

  it('patches nothing when the secret is there', () => {
    expect(
      imagePullSecretsPatch('{"imagePullSecrets":[{"name":"regcred"}]}', 'regcred'),
    ).toBeNull();
  });
});
