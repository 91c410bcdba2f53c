import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { uploadDiagnostics } from '../../src/diagnostics.js';

// The real @actions/artifact client against a stand-in for the Actions results service and its
// blob storage, on loopback: the Twirp calls the runner's service answers, and Azure block blob
// PUTs, reassembled in the order of the committed block list.

interface FakeService {
  url: string;
  created: { name: string }[];
  finalized: { name: string; size: string }[];
  blob(): Buffer;
  close(): Promise<void>;
}

async function startService(): Promise<FakeService> {
  const created: { name: string }[] = [];
  const finalized: { name: string; size: string }[] = [];
  const blocks = new Map<string, Buffer>();
  let blob = Buffer.alloc(0);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (url.pathname.endsWith('.ArtifactService/CreateArtifact')) {
        created.push(JSON.parse(body.toString()) as { name: string });
        const { port } = server.address() as AddressInfo;
        return json(200, {
          ok: true,
          signed_upload_url: `http://127.0.0.1:${port}/blob/artifact.zip?sig=secret`,
        });
      }
      if (url.pathname.endsWith('.ArtifactService/FinalizeArtifact')) {
        finalized.push(JSON.parse(body.toString()) as { name: string; size: string });
        return json(200, { ok: true, artifact_id: '42' });
      }
      if (req.method === 'PUT' && url.pathname === '/blob/artifact.zip') {
        const comp = url.searchParams.get('comp');
        if (comp === 'block') blocks.set(url.searchParams.get('blockid') ?? '', body);
        else if (comp === 'blocklist') {
          const ids = [...body.toString().matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]+)</g)];
          blob = Buffer.concat(ids.map((m) => blocks.get(m[1]) ?? Buffer.alloc(0)));
        } else blob = body;
        res.writeHead(201, { 'x-ms-request-id': '1', 'x-ms-version': '2020-10-02' });
        return res.end();
      }
      json(404, { code: 'not_found', msg: `${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    created,
    finalized,
    blob: () => blob,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** The runtime token is a JWT whose scope names the run and the job; only its claims are read. */
function runtimeToken(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ scp: 'Actions.Results:run-1:job-1' })}.sig`;
}

const saved = { ...process.env };
let service: FakeService | undefined;
afterEach(async () => {
  process.env = { ...saved };
  await service?.close();
  service = undefined;
});

describe('uploadDiagnostics with the real artifact client', () => {
  it('uploads the collected files as one zip named for the job, paths relative to the folder', async () => {
    service = await startService();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'microk8s-diagnostics-'));
    await fs.mkdir(path.join(dir, 'describe'));
    const files = [
      path.join(dir, 'pods.txt'),
      path.join(dir, 'describe', 'kube-system.coredns.txt'),
    ];
    await fs.writeFile(files[0], 'kube-system   coredns-7d9f   0/1   Running\n');
    await fs.writeFile(files[1], 'Name: coredns-7d9f\n');
    const env = {
      ACTIONS_RUNTIME_TOKEN: runtimeToken(),
      ACTIONS_RESULTS_URL: service.url,
      GITHUB_JOB: 'e2e',
    };
    Object.assign(process.env, env);
    delete process.env.GITHUB_SERVER_URL;

    const place = await uploadDiagnostics(dir, { files, errors: [] }, undefined, env);

    const name = `microk8s-diagnostics-e2e-${path.basename(dir).split('-').pop()}`;
    expect(place).toEqual({ dir, files: 2, errors: 0, artifact: name });
    expect(service.created.map((c) => c.name)).toEqual([name]);
    expect(service.finalized.map((f) => f.name)).toEqual([name]);
    const zip = path.join(dir, 'uploaded.zip');
    await fs.writeFile(zip, service.blob());
    const listing = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' });
    expect(listing.split('\n').filter(Boolean).sort()).toEqual([
      'describe/kube-system.coredns.txt',
      'pods.txt',
    ]);
    expect(execFileSync('unzip', ['-p', zip, 'pods.txt'], { encoding: 'utf8' })).toContain(
      'coredns-7d9f',
    );
  });
});
