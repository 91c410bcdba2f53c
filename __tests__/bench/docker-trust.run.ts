import { expect, it } from 'vitest';
import { Bed, RUNNER_DAEMON_JSON } from '../bed/bed.js';
import { insecureInDockerInfo, mergeDaemonJson } from '../../src/registries/docker-daemon.js';
import { alternate, q, record, runs, timedInBed } from './measure.js';

// Benchmark 2: the runner's Docker picks up a new insecure-registries entry. The action merges
// daemon.json and runs `systemctl reload docker` (SIGHUP); the alternative is a restart. Both on
// the bed's real dockerd, as `runner` through sudo, until `docker info` lists the registry.

const DAEMON_JSON = '/etc/docker/daemon.json';

const dockerdPid = (bed: Bed) => bed.processes().find((p) => p.comm === 'dockerd')?.pid;

it('2: Docker trusts a plain-HTTP registry: systemctl reload vs restart', async () => {
  const bed = await Bed.start();
  try {
    let port = 32000;
    const pids: Record<string, boolean[]> = { reload: [], restart: [] };
    const change = (verb: 'reload' | 'restart') => async () => {
      // A registry this dockerd has never seen, in the runner's daemon.json merged as the action does.
      const registry = `10.141.241.175:${port++}`;
      await bed.writeFile(DAEMON_JSON, mergeDaemonJson(RUNNER_DAEMON_JSON, [registry]).content);
      const before = dockerdPid(bed);
      const ms = await timedInBed(
        bed,
        `t0
         sudo systemctl ${verb} docker
         until docker info --format '{{json .RegistryConfig}}' 2>/dev/null | grep -qF ${q(`"${registry}"`)}; do sleep 0.02; done
         t1`,
        { user: 'runner' },
      );
      const info = await bed.exec(['docker', 'info', '--format', '{{json .RegistryConfig}}']);
      expect(insecureInDockerInfo(info.stdout)).toContain(registry);
      pids[verb].push(dockerdPid(bed) === before);
      return ms;
    };
    const ms = await alternate(runs(7), { reload: change('reload'), restart: change('restart') });
    // A reload is a signal to the same dockerd; a restart is a new one.
    expect(pids.reload.every(Boolean)).toBe(true);
    expect(pids.restart.some(Boolean)).toBe(false);
    record({
      id: 2,
      title: 'Docker trusts a new insecure registry (until docker info lists it)',
      variants: [
        {
          name: 'systemctl reload docker (SIGHUP)',
          short: 'reload',
          ms: ms.reload,
          note: 'same dockerd',
        },
        { name: 'systemctl restart docker', short: 'restart', ms: ms.restart, note: 'new dockerd' },
      ],
    });
  } finally {
    await bed.stop();
  }
});
