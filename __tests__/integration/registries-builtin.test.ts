import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDriver, enableRegistry } from './lib/action.js';
import { Sandbox } from './lib/sandbox.js';

// The built-in registry's wait: the step goes on only once http://localhost:32000/v2/ answers
// 200 from a real registry. The addon itself is a stand-in here (the sandbox's `microk8s enable`
// starts a docker-registry on 127.0.0.1:32000 two seconds later); the e2e bed runs the double.

let sb: Sandbox | undefined;
beforeAll(() => buildDriver());
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

const enables = (s: Sandbox) => s.calls('microk8s').filter((c) => c.startsWith('enable '));

describe('the built-in registry', () => {
  it.each([
    [34, '30Gi', 'enable registry --size 30Gi'],
    [25, '20Gi', 'enable registry --size 20Gi'],
    [24, '40Gi', 'enable registry:size=40Gi'],
    [22, '20Gi', 'enable registry:size=20Gi'],
  ])(
    'on 1.%s is enabled as `%s` → %s, and waited for until /v2/ answers 200',
    async (minor, size, call) => {
      sb = await Sandbox.start();
      const started = Date.now();
      const r = await enableRegistry(sb, { 'registry-size': size, kubeMinor: minor, timeout: 60 });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('registry=localhost:32000');
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      expect(enables(sb)).toEqual([call]);
      const v2 = await sb.exec([
        'curl',
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        'http://localhost:32000/v2/',
      ]);
      expect(v2.stdout).toBe('200');
      // Rolled out, claim bound: asked for, in this order, before the HTTP check.
      const asked = sb.kubectlCalls().map((c) => c.argv.join(' '));
      expect(asked.slice(0, 3)).toEqual([
        expect.stringMatching(
          /^-n kube-system rollout status deployment\/hostpath-provisioner --timeout=\d+s$/,
        ),
        expect.stringMatching(
          /^-n container-registry rollout status deployment\/registry --timeout=\d+s$/,
        ),
        '-n container-registry get pvc registry-claim -o jsonpath={.status.phase}',
      ]);
    },
  );

  it('fails within the timeout, naming what did not serve, when the registry never answers', async () => {
    sb = await Sandbox.start();
    sb.writeFile('/run/builtin-registry.never', '');
    const started = Date.now();
    const r = await enableRegistry(sb, { kubeMinor: 34, timeout: 5 });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stderr).toContain(
      'The built-in registry (http://localhost:32000/v2/) was not ready before the timeout',
    );
    expect(r.stderr).toMatch(/GET http:\/\/localhost:32000\/v2\/: .*ECONNREFUSED/);
  });
});
