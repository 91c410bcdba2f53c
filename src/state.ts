import * as core from '@actions/core';

/** Where main leaves notes for post: the Actions state mechanism, or a Map in tests. */
export interface StateStore {
  save(key: string, value: string): void;
  get(key: string): string;
}

/** What this process saved: core.getState reads only the STATE_* an earlier step left. */
const savedHere = new Map<string, string>();

export const actionsState: StateStore = {
  save: (key, value) => {
    savedHere.set(key, value);
    core.saveState(key, value);
  },
  get: (key) => savedHere.get(key) ?? core.getState(key),
};

/** A host file as it was before the action first changed it. */
export interface FileChange {
  path: string;
  /** The original bytes, base64; null when the action created the file. */
  original: string | null;
  /** The original permission bits, when the file existed. */
  mode: number | null;
  /** Written through sudo (root-owned location). */
  privileged: boolean;
  /** Folders the first write created (deepest first), removed again with the file when empty. */
  createdFolders?: string[];
}

/**
 * The iptables changes made so pod traffic passes a Docker that set the FORWARD policy to DROP
 * (microk8s-facts §6). Recorded before each change, so a main that failed halfway is undone too.
 */
export interface ForwardingChange {
  /** The FORWARD policy before the action set it to ACCEPT, e.g. `DROP`. */
  policy: string;
  /** The action inserted `-j ACCEPT` at the top of the DOCKER-USER chain. */
  dockerUserRule: boolean;
}

/** How far main got, what it found and how long each phase took: for the summary. */
export interface Report {
  channel: string;
  revision?: string;
  kubernetesVersion?: string;
  addons: string[];
  registry?: string;
  images: ImageReport[];
  phases: { name: string; seconds: number; ok: boolean }[];
  failure?: Failure;
  /** Main ran every phase to the end; a report without it comes from a main that was stopped. */
  finished?: boolean;
}

export interface ImageReport {
  image: string;
  method: 'side-load' | 'push';
  ref: string;
  digest: string;
  verified: boolean;
  seconds?: number;
}

export interface Failure {
  message: string;
  pod?: string;
  events?: string[];
  diagnosis?: string;
}

const KEYS = {
  files: 'files',
  logins: 'docker-logins',
  snapInstalled: 'snap-installed',
  report: 'report',
  mainRan: 'main-ran',
  forwarding: 'forwarding',
} as const;

function readJson<T>(store: StateStore, key: string, fallback: T): T {
  const text = store.get(key);
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * Everything main did to the host, saved the moment it happens so that a post step after a
 * main that failed halfway still knows exactly what to undo.
 */
export class Journal {
  constructor(private readonly store: StateStore = actionsState) {}

  files(): FileChange[] {
    return readJson<FileChange[]>(this.store, KEYS.files, []);
  }

  /** Remembers a file's original state; only the first change of a path counts. */
  recordFile(change: FileChange): void {
    const files = this.files();
    if (files.some((f) => f.path === change.path)) return;
    files.push(change);
    this.store.save(KEYS.files, JSON.stringify(files));
  }

  hasFile(path: string): boolean {
    return this.files().some((f) => f.path === path);
  }

  logins(): string[] {
    return readJson<string[]>(this.store, KEYS.logins, []);
  }

  recordLogin(server: string): void {
    const logins = this.logins();
    if (!logins.includes(server)) this.store.save(KEYS.logins, JSON.stringify([...logins, server]));
  }

  /** True when this action installed MicroK8s (it was not on the runner before). */
  snapInstalled(): boolean {
    return this.store.get(KEYS.snapInstalled) === 'true';
  }

  recordSnapInstalled(): void {
    this.store.save(KEYS.snapInstalled, 'true');
  }

  forwarding(): ForwardingChange | undefined {
    return readJson<ForwardingChange | undefined>(this.store, KEYS.forwarding, undefined);
  }

  /** Remembers the FORWARD state first found; later calls only add the DOCKER-USER rule. */
  recordForwarding(change: ForwardingChange): void {
    const before = this.forwarding();
    const merged = before
      ? { ...before, dockerUserRule: before.dockerUserRule || change.dockerUserRule }
      : change;
    this.store.save(KEYS.forwarding, JSON.stringify(merged));
  }

  markMainRan(): void {
    this.store.save(KEYS.mainRan, 'true');
  }

  mainRan(): boolean {
    return this.store.get(KEYS.mainRan) === 'true';
  }

  saveReport(report: Report): void {
    this.store.save(KEYS.report, JSON.stringify(report));
  }

  report(): Report | undefined {
    return readJson<Report | undefined>(this.store, KEYS.report, undefined);
  }
}
