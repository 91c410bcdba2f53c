import { describe, expect, it } from 'vitest';
import { parseChannel } from '../../src/inputs.js';
import {
  classifySnapFailure,
  findSnap,
  installArgs,
  kubeMinorOf,
  parseSnapList,
  refreshArgs,
  sameChannel,
} from '../../src/snap.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const failed = (stderr: string) => ({ code: 1, stdout: '', stderr });

describe('classifySnapFailure', () => {
  it.each([
    ['error: cannot install "microk8s": too many requests', 'transient'],
    ['error: snap "microk8s" has "service-control" change in progress', 'transient'],
    [
      'error: too early for operation, device not yet seeded or device model not acknowledged',
      'transient',
    ],
    ['error: unable to contact snap store', 'transient'],
    [
      'error: cannot perform the following tasks:\n- Download snap "microk8s" (8148) from channel "1.34/stable" (received an unexpected http response code (502) when trying to download https://api.snapcraft.io/api/v1/snaps/download/x.snap)',
      'transient',
    ],
    [
      'error: cannot install "microk8s": Post "https://api.snapcraft.io/v2/snaps/refresh": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
      'transient',
    ],
    [
      'error: cannot install "microk8s": dial tcp: lookup api.snapcraft.io: Temporary failure in name resolution',
      'transient',
    ],
    [
      'error: snap "microk8s" is not available on 1.99/stable but is available to install on the\n       following tracks:',
      'permanent',
    ],
    ['error: snap "mikrok8s" not found', 'permanent'],
    [
      'error: This revision of snap "microk8s" was published using classic confinement and thus may\n       perform arbitrary system changes outside of the security sandbox',
      'permanent',
    ],
    ['error: access denied (try with sudo)', 'permanent'],
    ['error: something nobody has seen before', 'permanent'],
  ])('sorts %j as %s', (stderr, kind) => {
    expect(classifySnapFailure(failed(stderr))).toBe(kind);
  });
});

describe('snap arguments', () => {
  it.each([
    ['1.34/stable', ['install', 'microk8s', '--classic', '--channel=1.34/stable']],
    ['latest/edge', ['install', 'microk8s', '--classic', '--channel=latest/edge']],
    ['1.33-strict/stable', ['install', 'microk8s', '--channel=1.33-strict/stable']],
  ])('installs %s with %j', (channel, args) => {
    expect(installArgs(parseChannel(channel))).toEqual(args);
  });

  it('refreshes to the channel', () => {
    expect(refreshArgs(parseChannel('1.33/stable'))).toEqual([
      'refresh',
      'microk8s',
      '--channel=1.33/stable',
    ]);
  });
});

describe('parseSnapList', () => {
  it('reads the microk8s row', () => {
    const out =
      'Name      Version  Rev   Tracking     Publisher   Notes\nmicrok8s  v1.34.2  8148  1.34/stable  canonical✓  classic\n';
    expect(parseSnapList(out)).toEqual({
      version: 'v1.34.2',
      revision: '8148',
      tracking: '1.34/stable',
    });
  });
  it('finds nothing in an empty list', () => {
    expect(parseSnapList('Name  Version  Rev  Tracking  Publisher  Notes\n')).toBeUndefined();
  });
});

describe('sameChannel', () => {
  it.each([
    ['1.34/stable', '1.34/stable', true],
    ['latest/stable', 'stable', true],
    ['stable', 'latest/stable', true],
    ['1.33/stable', '1.34/stable', false],
    ['1.34/edge', '1.34/stable', false],
  ])('tracking %s vs channel %s: %s', (tracking, channel, same) => {
    expect(sameChannel(tracking, parseChannel(channel))).toBe(same);
  });
});

describe('kubeMinorOf', () => {
  it.each([
    ['v1.34.2', 34],
    ['v1.22.17', 22],
    ['1.36.0-rc.1', 36],
    ['unknown', undefined],
  ])('%s → %s', (version, minor) => {
    expect(kubeMinorOf(version)).toBe(minor);
  });
});

describe('findSnap', () => {
  it('finds an executable snap on PATH and nothing where there is none', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snap-'));
    expect(findSnap(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'snap'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findSnap(`/nonexistent${path.delimiter}${dir}`)).toBe(path.join(dir, 'snap'));
  });
});
