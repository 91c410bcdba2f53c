import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { undo } from '../../src/cleanup.js';
import { HostFiles } from '../../src/files.js';
import { Host, RunOptions, RunResult } from '../../src/host.js';
import { allowForwarding, forwardPolicy } from '../../src/microk8s.js';
import { Journal, StateStore } from '../../src/state.js';

/** A Host that records each command and answers from a table instead of running it. */
class ScriptedHost extends Host {
  readonly commands: string[] = [];
  constructor(private readonly answers: Record<string, Partial<RunResult>> = {}) {
    super(true);
  }
  override async run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const line = [cmd, ...args].join(' ');
    this.commands.push(line);
    const result = { code: 0, stdout: '', stderr: '', ...this.answers[line] };
    if (result.code !== 0 && !opts.allowFailure)
      throw new Error(`${line} failed: ${result.stderr}`);
    return result;
  }
}

function memoryStore(): StateStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return { values, save: (k, v) => void values.set(k, v), get: (k) => values.get(k) ?? '' };
}

describe('forwarding', () => {
  it.each([
    ['-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n', 'DROP'],
    ['-P FORWARD ACCEPT\n', 'ACCEPT'],
    ['iptables: No chain/target/match by that name.\n', undefined],
  ])('forwardPolicy(%j) is %s', (rules, policy) => expect(forwardPolicy(rules)).toBe(policy));

  it('records the DROP policy and the DOCKER-USER rule before changing them, and undo puts both back', async () => {
    const host = new ScriptedHost({
      'iptables -S FORWARD': { stdout: '-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n' },
      'iptables -C DOCKER-USER -j ACCEPT': { code: 1, stderr: 'Bad rule' },
    });
    const journal = new Journal(memoryStore());
    await allowForwarding(host, journal);
    expect(journal.forwarding()).toEqual({ policy: 'DROP', dockerUserRule: true });
    expect(host.commands).toContain('iptables -P FORWARD ACCEPT');
    expect(host.commands).toContain('iptables -I DOCKER-USER -j ACCEPT');

    const cleaner = new ScriptedHost();
    expect(await undo(journal, cleaner)).toEqual([]);
    expect(cleaner.commands).toEqual([
      'iptables -C DOCKER-USER -j ACCEPT',
      'iptables -D DOCKER-USER -j ACCEPT',
      'iptables -P FORWARD DROP',
    ]);
  });

  it('records nothing when forwarding was already allowed', async () => {
    const host = new ScriptedHost({ 'iptables -S FORWARD': { stdout: '-P FORWARD ACCEPT\n' } });
    const journal = new Journal(memoryStore());
    await allowForwarding(host, journal);
    expect(journal.forwarding()).toBeUndefined();
    expect(host.commands.filter((c) => /-[PID] /.test(c))).toEqual([]);
  });
});

describe('undo', () => {
  it('removes MicroK8s, restores files newest first (skipping what the purge took), logs out, and goes on past a failure', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'undo-'));
    const kubeconfig = path.join(tmp, 'config');
    const created = path.join(tmp, 'created.txt');
    await fs.writeFile(kubeconfig, 'changed');
    await fs.writeFile(created, 'ours');
    const journal = new Journal(memoryStore());
    journal.recordSnapInstalled();
    journal.recordFile({
      path: kubeconfig,
      original: Buffer.from('mine\n').toString('base64'),
      mode: 0o600,
      privileged: false,
    });
    journal.recordFile({
      path: '/var/snap/microk8s/current/args/certs.d/10.0.0.1:5000/hosts.toml',
      original: null,
      mode: null,
      privileged: true,
    });
    journal.recordFile({ path: created, original: null, mode: null, privileged: false });
    journal.recordLogin('reg.example:5000');
    journal.recordLogin('other.example');
    const host = new ScriptedHost({
      'docker logout other.example': { code: 1, stderr: 'Cannot connect to the Docker daemon' },
    });

    const errors = await undo(journal, host);

    expect(host.commands).toEqual([
      'snap remove microk8s --purge',
      'docker logout other.example',
      'docker logout reg.example:5000',
    ]);
    expect(errors).toEqual([
      'Logging out of other.example: docker logout other.example failed: Cannot connect to the Docker daemon',
    ]);
    expect(await fs.readFile(kubeconfig, 'utf8')).toBe('mine\n');
    expect((await fs.stat(kubeconfig)).mode & 0o777).toBe(0o600);
    await expect(fs.access(created)).rejects.toThrow();
  });
});

describe('folders the action created', () => {
  it('go again with the files in them, and a folder that holds something else stays', async () => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'folders-'));
    const journal = new Journal(memoryStore());
    const files = new HostFiles(new Host(true), journal);
    await files.write(path.join(base, 'certs.d', 'reg:5000', 'ca.crt'), 'ca', {
      mode: 0o644,
      privileged: true,
    });
    await files.write(path.join(base, 'certs.d', 'other', 'ca.crt'), 'ca', {
      mode: 0o644,
      privileged: true,
    });
    expect(journal.files().map((f) => f.createdFolders)).toEqual([
      [path.join(base, 'certs.d', 'reg:5000'), path.join(base, 'certs.d')],
      [path.join(base, 'certs.d', 'other')],
    ]);
    await fs.writeFile(path.join(base, 'certs.d', 'other', 'users-own.crt'), 'theirs');

    expect(await undo(journal, new ScriptedHost())).toEqual([]);

    expect(await fs.readdir(base)).toEqual(['certs.d']);
    expect(await fs.readdir(path.join(base, 'certs.d'))).toEqual(['other']);
    expect(await fs.readdir(path.join(base, 'certs.d', 'other'))).toEqual(['users-own.crt']);
  });

  it('leave nothing behind when nothing else was put in them', async () => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'folders-'));
    const journal = new Journal(memoryStore());
    const files = new HostFiles(new Host(true), journal);
    await files.write(path.join(base, '.kube', 'config'), 'cfg', {
      mode: 0o600,
      privileged: false,
    });
    expect(await undo(journal, new ScriptedHost())).toEqual([]);
    expect(await fs.readdir(base)).toEqual([]);
  });
});
