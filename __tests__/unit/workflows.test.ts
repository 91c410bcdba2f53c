import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { describe, expect, it } from 'vitest';

// @actions/workflow-parser imports its JSON schemas without import attributes, which only a
// bundler accepts: that is why these checks run under vitest rather than as a plain script.
const trace = new NoOperationTraceWriter();
const errorsOf = (result: ReturnType<typeof parseWorkflow>): string[] =>
  result.context.errors.getErrors().map((e) => e.message);

describe('GitHub schemas', () => {
  const workflows = readdirSync('.github/workflows').filter((f) => /\.ya?ml$/.test(f));

  it('finds the workflows', () => {
    expect(workflows).toEqual(expect.arrayContaining(['ci.yml', 'e2e.yml']));
  });

  it.each(workflows)('accepts .github/workflows/%s', (file) => {
    const name = join('.github/workflows', file);
    const result = parseWorkflow({ name, content: readFileSync(name, 'utf8') }, trace);
    expect(errorsOf(result)).toEqual([]);
    expect(result.value).toBeDefined();
  });

  it('rejects a broken workflow (the check can fail)', () => {
    const result = parseWorkflow(
      { name: 'bad.yml', content: 'on: push\njobs:\n  a:\n    runs-on: x\n    step: []\n' },
      trace,
    );
    expect(errorsOf(result).length).toBeGreaterThan(0);
  });

  it('accepts action.yml', () => {
    const result = parseAction(
      { name: 'action.yml', content: readFileSync('action.yml', 'utf8') },
      trace,
    );
    expect(errorsOf(result)).toEqual([]);
  });
});
