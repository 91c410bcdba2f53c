// Renders the inputs and outputs tables of README.md from action.yml, so the two never drift:
// `node scripts/readme-tables.mjs --write` rewrites the README between its markers; the unit
// test readme.test.ts fails when the README is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const cell = (text) =>
  String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\|/g, '\\|');

export function renderTables(actionYml) {
  const action = parse(actionYml);
  const inputs = Object.entries(action.inputs ?? {}).map(
    ([name, i]) =>
      `| \`${name}\` | ${i.default === '' || i.default === undefined ? "''" : `\`${cell(i.default)}\``} | ${cell(i.description)} |`,
  );
  const outputs = Object.entries(action.outputs ?? {}).map(
    ([name, o]) => `| \`${name}\` | ${cell(o.description)} |`,
  );
  return [
    '<!-- inputs:start (generated from action.yml by scripts/readme-tables.mjs) -->',
    '| input | default | what it does |',
    '| --- | --- | --- |',
    ...inputs,
    '',
    '| output | what it holds |',
    '| --- | --- |',
    ...outputs,
    '<!-- inputs:end -->',
  ].join('\n');
}

export function updateReadme(readme, actionYml) {
  return readme.replace(/<!-- inputs:start[\s\S]*?<!-- inputs:end -->/, renderTables(actionYml));
}

if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', updateReadme(readme, readFileSync('action.yml', 'utf8')));
}
