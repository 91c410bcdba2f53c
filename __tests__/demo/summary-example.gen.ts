import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { Bed, StepResult } from '../bed/bed.js';
import { buildContext, checkout } from '../e2e/workspace.js';

// `npm run summary-example`: runs the bundled action on the emulated runner twice (a run that
// works, and one whose verify fails) and writes the job summaries they produce, verbatim, to
// docs/summary-example.md and (the failed one) to the README, between its markers.

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DOC = `${REPO}/docs/summary-example.md`;
const README = `${REPO}/README.md`;

const WORKS = {
  registry: 'true',
  build: 'mynginx:1.0=app\nlocalhost:32000/mynginx:registry=app',
};
// A side-loaded :latest makes Kubernetes pull it from Docker Hub (imagePullPolicy: Always).
const FAILS = {
  registry: 'true',
  build: 'mynginx:latest=app\nlocalhost:32000/mynginx:registry=app',
  'verify-timeout': '20',
};

async function job(inputs: Record<string, string>): Promise<StepResult> {
  const bed = await Bed.start();
  try {
    await checkout(bed, buildContext('app'));
    await bed.runMain(inputs);
    const env = Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
    );
    return await bed.runPost(env);
  } finally {
    await bed.stop();
  }
}

const yaml = (inputs: Record<string, string>) =>
  Object.entries(inputs)
    .map(([k, v]) => (v.includes('\n') ? `${k}: |\n  ${v.replace(/\n/g, '\n  ')}` : `${k}: ${v}`))
    .join('\n');

/** Verbatim: prettier would realign the tables, and this is what the action writes. */
const verbatim = (md: string) =>
  `<!-- prettier-ignore-start -->\n${md.trimEnd()}\n<!-- prettier-ignore-end -->`;

it('writes docs/summary-example.md and the README example from real runs', async () => {
  const works = await job(WORKS);
  const fails = await job(FAILS);
  expect(works.summary).toContain('is ready');
  expect(fails.summary).toContain('setup-microk8s failed');

  fs.writeFileSync(
    DOC,
    `# What the job summary looks like

The post step writes a summary to the job's page on every run, whether the job worked or not.
The two below are real: the bundled action wrote them on the emulated runner (the test bed),
and \`npm run summary-example\` (as root) runs it again and rewrites this file. Timings come from
the emulator, so they are shorter than on a GitHub runner.

## A run that worked

\`\`\`yaml
${yaml(WORKS)}
\`\`\`

---

${verbatim(works.summary)}

---

## A run whose verify failed

A side-loaded image tagged \`latest\`: Kubernetes gives it \`imagePullPolicy: Always\`, so the
kubelet pulls it from Docker Hub instead of using the copy on the node. The emulated runner has
no internet, so the pull fails as it would for an image that is not on Docker Hub.

\`\`\`yaml
${yaml(FAILS)}
\`\`\`

---

${verbatim(fails.summary)}

---
`,
  );

  const readme = fs.readFileSync(README, 'utf8');
  const start = '<!-- summary-example:start (written by npm run summary-example) -->';
  const end = '<!-- summary-example:end -->';
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  expect(from, `README.md has no ${start} marker`).toBeGreaterThanOrEqual(0);
  fs.writeFileSync(
    README,
    `${readme.slice(0, from + start.length)}\n${verbatim(fails.summary)}\n${readme.slice(to)}`,
  );
});
