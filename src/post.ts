import * as core from '@actions/core';
import { undo } from './cleanup.js';
import { Host } from './host.js';
import { Journal } from './state.js';

/** The post step: never fails the job for its own sake, and never hides main's error. */
export async function runPost(journal = new Journal(), host = new Host()): Promise<void> {
  if (!journal.mainRan()) return;
  if (
    core.getInput('cleanup') === 'true' ||
    core.getInput('cleanup') === 'True' ||
    core.getInput('cleanup') === 'TRUE'
  ) {
    await core.group('Cleaning up', async () => {
      const errors = await undo(journal, host);
      for (const e of errors) core.warning(e);
    });
  }
}
