import { describe, expect, it } from 'vitest';
import {
  DaemonJsonError,
  daemonJsonUndo,
  dockerCaPath,
  dockerTrustsAlready,
  insecureInDockerInfo,
  mergeDaemonJson,
} from '../../src/registries/docker-daemon.js';

// The GitHub runner's own file (microk8s-facts §5).
const RUNNER = '{"exec-opts": ["native.cgroupdriver=cgroupfs"], "cgroup-parent": "/actions_job"}\n';
const REG = '10.141.241.175:32000';

describe('mergeDaemonJson', () => {
  it.each([
    ['creates a missing file', null, [REG], { 'insecure-registries': [REG] }],
    [
      "keeps the runner's exec-opts and cgroup-parent",
      RUNNER,
      [REG],
      {
        'exec-opts': ['native.cgroupdriver=cgroupfs'],
        'cgroup-parent': '/actions_job',
        'insecure-registries': [REG],
      },
    ],
    [
      'adds to the registries already there, without duplicates',
      '{"insecure-registries": ["a:5000"], "debug": true}',
      ['a:5000', REG, REG],
      { 'insecure-registries': ['a:5000', REG], debug: true },
    ],
  ])('%s', (_what, original, registries, expected) => {
    const { content, changed } = mergeDaemonJson(original, registries);
    expect(changed).toBe(true);
    expect(JSON.parse(content)).toEqual(expected);
    expect(content.endsWith('}\n')).toBe(true);
  });

  it('keeps the keys in their order', () => {
    const { content } = mergeDaemonJson(RUNNER, [REG]);
    expect(Object.keys(JSON.parse(content))).toEqual([
      'exec-opts',
      'cgroup-parent',
      'insecure-registries',
    ]);
  });

  it('returns the very bytes when every registry is there already', () => {
    const original = '{ "insecure-registries" : [ "10.141.241.175:32000" ] }';
    expect(mergeDaemonJson(original, [REG])).toEqual({ content: original, changed: false });
  });

  it.each([
    // dockerd 20.10 will not start on it either: "unable to configure the Docker daemon with file
    // /etc/docker/daemon.json: EOF".
    ['empty', ' \n', /daemon.json is not valid JSON/],
    [
      'not JSON',
      '{"exec-opts": ["native.cgroupdriver=cgroupfs"],',
      /daemon.json is not valid JSON \(.+\)\. The action left it untouched; fix or remove it/,
    ],
    ['a list', '["a"]', /is JSON but not an object of settings; the action left it untouched/],
    ['null', 'null', /not an object of settings/],
    [
      'insecure-registries as a string',
      '{"insecure-registries": "a:5000"}',
      /"insecure-registries" in \/etc\/docker\/daemon.json is "a:5000", not a list/,
    ],
  ])('refuses a file that is %s', (_what, original, message) => {
    expect(() => mergeDaemonJson(original, [REG])).toThrow(DaemonJsonError);
    expect(() => mergeDaemonJson(original, [REG])).toThrow(message);
  });
});

describe('dockerTrustsAlready', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['10.141.241.175', false],
    ['[::1]', false],
    ['registry.example.com', false],
    ['127.0.0.1.example.com', false],
  ])('%s: %s', (host, trusted) => {
    expect(dockerTrustsAlready(host)).toBe(trusted);
  });
});

describe('insecureInDockerInfo', () => {
  it('lists the index configurations that are not secure', () => {
    // `docker info --format '{{json .RegistryConfig}}'` of dockerd 20.10 after a reload.
    const info =
      '{"AllowNondistributableArtifactsCIDRs":[],"AllowNondistributableArtifactsHostnames":[],"InsecureRegistryCIDRs":["127.0.0.0/8"],"IndexConfigs":{"10.141.241.175:32000":{"Name":"10.141.241.175:32000","Mirrors":[],"Secure":false,"Official":false},"docker.io":{"Name":"docker.io","Mirrors":[],"Secure":true,"Official":true}},"Mirrors":[]}';
    expect(insecureInDockerInfo(info)).toEqual([REG]);
  });

  it('reads a daemon with no index configurations', () => {
    expect(insecureInDockerInfo('{"IndexConfigs":null}')).toEqual([]);
  });
});

describe('daemonJsonUndo', () => {
  it.each([
    [
      'a file the action created: reload with none, then remove it',
      null,
      `{"insecure-registries": ["${REG}"]}`,
      { 'insecure-registries': [] },
      [REG],
    ],
    [
      "the runner's file: its keys plus an explicit empty list",
      RUNNER,
      mergeDaemonJson(RUNNER, [REG]).content,
      {
        'exec-opts': ['native.cgroupdriver=cgroupfs'],
        'cgroup-parent': '/actions_job',
        'insecure-registries': [],
      },
      [REG],
    ],
    [
      'a file with registries of its own: those kept',
      '{"insecure-registries": ["a:5000"]}',
      `{"insecure-registries": ["a:5000", "${REG}"]}`,
      { 'insecure-registries': ['a:5000'] },
      [REG],
    ],
  ])('undoes %s', (_what, original, current, reloadWith, removed) => {
    const undo = daemonJsonUndo(original, current);
    expect(JSON.parse(undo.reloadWith!)).toEqual(reloadWith);
    expect(undo.removed).toEqual(removed);
  });

  it('only puts back an original it cannot read as settings', () => {
    expect(daemonJsonUndo('{oops', `{"insecure-registries": ["${REG}"]}`)).toEqual({
      reloadWith: null,
      removed: [],
    });
  });

  it('waits for nothing when the current file is broken', () => {
    expect(daemonJsonUndo(RUNNER, '{oops').removed).toEqual([]);
  });
});

describe('dockerCaPath', () => {
  it('is certs.d/<host:port>/ca.crt', () => {
    expect(dockerCaPath('registry.test:5443')).toBe(
      '/etc/docker/certs.d/registry.test:5443/ca.crt',
    );
  });
});
