import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, actionsState } from '../../src/state.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

/** The last value of each key in a GITHUB_STATE file, as the runner reads it for the post step. */
function lastValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]] = m[3];
  return out;
}

describe('the journal on the Actions state mechanism', () => {
  it('keeps every file main changed, although the step cannot read back its own STATE_*', async () => {
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'state-')), 'state');
    await fs.writeFile(file, '');
    process.env.GITHUB_STATE = file;
    const journal = new Journal(actionsState);
    const change = (p: string) => ({ path: p, original: null, mode: null, privileged: false });

    journal.recordFile(change('/home/runner/.kube/config.before-setup-microk8s'));
    journal.recordFile(change('/home/runner/.kube/config'));
    journal.recordLogin('reg.example:5000');
    journal.recordLogin('other.example');

    const post = lastValues(await fs.readFile(file, 'utf8'));
    expect(JSON.parse(post.files).map((f: { path: string }) => f.path)).toEqual([
      '/home/runner/.kube/config.before-setup-microk8s',
      '/home/runner/.kube/config',
    ]);
    expect(JSON.parse(post['docker-logins'])).toEqual(['reg.example:5000', 'other.example']);
  });
});
