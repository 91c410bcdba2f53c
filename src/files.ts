import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Host } from './host.js';
import { FileChange, Journal } from './state.js';

/**
 * Host files the action changes. Every write remembers the file's original bytes in the journal
 * first, so the post step can put each one back byte for byte (or remove it).
 */
export class HostFiles {
  constructor(
    private readonly host: Host,
    private readonly journal: Journal,
  ) {}

  /** The file's bytes, or null when it does not exist. Falls back to sudo when unreadable. */
  async read(file: string, privileged = false): Promise<Buffer | null> {
    try {
      return await fs.readFile(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const missing = code === 'ENOENT' || code === 'ENOTDIR';
      if (!missing && (code !== 'EACCES' || this.host.isRoot)) throw e;
      // EACCES: a root-only directory denies the path, whether the file is there or not.
      if (!(await this.exists(file, privileged || code === 'EACCES'))) return null;
      const r = await this.host.run('cat', ['--', file], { sudo: true, quiet: true });
      return Buffer.from(r.stdout, 'utf8');
    }
  }

  /** Whether the path exists; as root when `privileged`, since a root-only folder can hide it. */
  async exists(file: string, privileged: boolean): Promise<boolean> {
    try {
      await fs.lstat(file);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const missing = code === 'ENOENT' || code === 'ENOTDIR';
      if (!missing && (code !== 'EACCES' || this.host.isRoot)) throw e;
      if (missing && (!privileged || this.host.isRoot)) return false;
      const probe = await this.host.run('test', ['-e', file], {
        sudo: true,
        allowFailure: true,
        quiet: true,
      });
      return probe.code === 0;
    }
  }

  /** The folders above `file` that do not exist yet, deepest first: writing it creates them. */
  private async missingFolders(file: string, privileged: boolean): Promise<string[]> {
    const missing: string[] = [];
    for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if (await this.exists(dir, privileged)) break;
      missing.push(dir);
    }
    return missing;
  }

  async mode(file: string, privileged: boolean): Promise<number | null> {
    try {
      return (await fs.stat(file)).mode & 0o7777;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if (!privileged || this.host.isRoot) throw e;
      const r = await this.host.run('stat', ['-c', '%a', '--', file], { sudo: true, quiet: true });
      return parseInt(r.stdout.trim(), 8);
    }
  }

  /** Records the file's current state in the journal, once per path. */
  async remember(file: string, privileged: boolean): Promise<void> {
    if (this.journal.hasFile(file)) return;
    const original = await this.read(file, privileged);
    const change: FileChange = {
      path: file,
      original: original === null ? null : original.toString('base64'),
      mode: original === null ? null : await this.mode(file, privileged),
      privileged,
    };
    if (original === null) {
      const folders = await this.missingFolders(file, privileged);
      if (folders.length > 0) change.createdFolders = folders;
    }
    this.journal.recordFile(change);
  }

  /** Writes the file (creating its folder), after remembering what was there. */
  async write(
    file: string,
    content: string | Buffer,
    opts: { mode: number; privileged: boolean },
  ): Promise<void> {
    await this.remember(file, opts.privileged);
    await this.put(file, content, opts.mode, opts.privileged);
  }

  /** Removes a file the action wrote, after remembering it. */
  async remove(file: string, privileged: boolean): Promise<void> {
    await this.remember(file, privileged);
    await this.unlink(file, privileged);
  }

  /** Puts one journalled file back as it was. */
  async restore(change: FileChange): Promise<void> {
    if (change.original === null) {
      await this.unlink(change.path, change.privileged);
      for (const dir of change.createdFolders ?? []) {
        // Only while empty: a folder that holds something else now is no longer only ours.
        if (!(await this.removeEmptyFolder(dir, change.privileged))) break;
      }
      return;
    }
    await this.put(
      change.path,
      Buffer.from(change.original, 'base64'),
      change.mode ?? 0o644,
      change.privileged,
    );
  }

  /** Writes without journalling: for restores and for the steps of a multi-step restore. */
  async put(
    file: string,
    content: string | Buffer,
    mode: number,
    privileged: boolean,
  ): Promise<void> {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (!privileged || this.host.isRoot) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Write beside and rename, so a reader never sees half a file.
      const tmp = `${file}.setup-microk8s.tmp`;
      await fs.writeFile(tmp, data, { mode });
      await fs.chmod(tmp, mode);
      await fs.rename(tmp, file);
      return;
    }
    await this.host.run('mkdir', ['-p', '--', path.dirname(file)], { sudo: true, quiet: true });
    // `sudo tee`, as a person would type it: the bytes go on stdin, never into a file of ours.
    // (`install /dev/stdin` cannot work here: Node gives a child a socket for stdin, and opening
    // /dev/stdin on a socket fails with ENXIO.)
    await this.host.run('tee', ['--', file], { sudo: true, input: data, quiet: true });
    await this.host.run('chmod', [mode.toString(8), '--', file], { sudo: true, quiet: true });
  }

  /** Removes an empty folder; false when it is not empty (or gone already). */
  private async removeEmptyFolder(dir: string, privileged: boolean): Promise<boolean> {
    if (!privileged || this.host.isRoot) {
      try {
        await fs.rmdir(dir);
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false;
        throw e;
      }
    }
    const r = await this.host.run('rmdir', ['--', dir], {
      sudo: true,
      allowFailure: true,
      quiet: true,
    });
    return r.code === 0;
  }

  private async unlink(file: string, privileged: boolean): Promise<void> {
    if (!privileged || this.host.isRoot) {
      await fs.rm(file, { force: true });
      return;
    }
    await this.host.run('rm', ['-f', '--', file], { sudo: true, quiet: true });
  }
}
