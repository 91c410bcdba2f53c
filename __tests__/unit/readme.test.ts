import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { renderTables, updateReadme } from '../../scripts/readme-tables.mjs';

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');
  const action = readFileSync('action.yml', 'utf8');

  it('documents every input and output of action.yml as it is (node scripts/readme-tables.mjs --write)', () => {
    expect(updateReadme(readme, action)).toBe(readme);
    expect(readme).toContain(renderTables(action));
  });

  it('gives a newcomer the two commands', () => {
    expect(readme).toContain('bash scripts/demo.sh');
    expect(readme).toContain('bash .ci/run');
  });
});
