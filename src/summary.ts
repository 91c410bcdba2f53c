import * as core from '@actions/core';
import { Report } from './state.js';

/** Where the post step left the diagnostics, for the last line of the summary. */
export interface DiagnosticsPlace {
  /** The workflow artifact holding them, when the artifact service took them. */
  artifact?: string;
  /** The folder on the runner that holds them. */
  dir: string;
  files: number;
  /** Items that could not be collected. */
  errors: number;
}

/** A step summary is capped at 1 MiB: no single block of text may crowd out the rest. */
const MAX_BLOCK = 16_000;
const MAX_EVENTS = 30;

/** `41.2 s`, `2 min 5 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** `sha256:` and the first 12 hex digits: enough to tell images apart in a table. */
export function shortDigest(digest: string): string {
  const m = /^([a-z0-9]+):([0-9a-f]{12})[0-9a-f]+$/.exec(digest);
  return m ? `${m[1]}:${m[2]}…` : digest;
}

/** Text inside a table cell: no HTML, no column breaks, one line. */
export function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
}

/** Inline code in a table cell; the fence outgrows any backticks the text holds. */
export function code(text: string): string {
  if (text === '') return '';
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${cell(text)}${pad}${fence}`;
}

/** A fenced block that no backtick run inside `text` can close early. */
export function block(text: string): string {
  const clipped =
    text.length > MAX_BLOCK
      ? `${text.slice(0, MAX_BLOCK)}\n… (${text.length - MAX_BLOCK} more characters)`
      : text;
  const longest = Math.max(2, ...(clipped.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${clipped.trimEnd()}\n${fence}`;
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0];
}

function clusterTable(report: Report): string {
  const dash = '—';
  return table(
    ['Cluster', ''],
    [
      ['Channel', code(report.channel)],
      ['Snap revision', report.revision ? cell(report.revision) : dash],
      ['Kubernetes', report.kubernetesVersion ? cell(report.kubernetesVersion) : dash],
      ['Addons', report.addons.length ? report.addons.map(code).join(', ') : 'none'],
      ['Registry', report.registry ? code(report.registry) : 'none'],
    ],
  );
}

function imagesSection(report: Report): string[] {
  if (report.images.length === 0) return [];
  return [
    '### Images',
    table(
      ['Image', 'Method', 'Digest', 'Verified', 'Time'],
      report.images.map((i) => [
        code(i.image),
        i.method,
        i.digest ? code(shortDigest(i.digest)) : '—',
        i.verified ? 'yes' : '**no**',
        i.seconds === undefined ? '—' : formatSeconds(i.seconds),
      ]),
    ),
  ];
}

function phasesSection(report: Report): string[] {
  if (report.phases.length === 0) return [];
  return [
    '### Phases',
    table(
      ['Phase', 'Time', 'Result'],
      report.phases.map((p) => [
        cell(p.name),
        formatSeconds(p.seconds),
        p.ok ? 'done' : '**failed**',
      ]),
    ),
  ];
}

function failureSection(report: Report): string[] {
  const f = report.failure;
  if (!f) return [];
  const out = ['### What failed'];
  if (f.pod) out.push(`**Pod:** ${code(f.pod)}`);
  if (f.diagnosis) out.push(`**Diagnosis:** ${cell(f.diagnosis)}`);
  if (f.events?.length) {
    const shown = f.events.slice(-MAX_EVENTS);
    const dropped = f.events.length - shown.length;
    out.push(
      `**Kubelet events${dropped ? ` (last ${shown.length} of ${f.events.length})` : ''}:**`,
      block(shown.join('\n')),
    );
  }
  out.push('**Error:**', block(f.message));
  return out;
}

function diagnosticsLine(place: DiagnosticsPlace): string {
  const what = `${place.files} file${place.files === 1 ? '' : 's'}`;
  const missing = place.errors
    ? `; ${place.errors} item${place.errors === 1 ? '' : 's'} could not be collected (see the step's warnings)`
    : '';
  return place.artifact
    ? `**Diagnostics:** ${what} in the workflow artifact ${code(place.artifact)}${missing}.`
    : `**Diagnostics:** ${what} kept on the runner in ${code(place.dir)} (no artifact service in this job)${missing}.`;
}

/**
 * The job summary as GitHub-flavoured Markdown: the cluster, the images, the phases and, when
 * main failed, what failed and why. `report` is undefined when main stopped before it could save
 * one (cancelled, timed out or crashed).
 */
export function renderSummary(report: Report | undefined, diagnostics?: DiagnosticsPlace): string {
  const parts: string[] = [];
  if (!report) {
    parts.push(
      '## setup-microk8s: the main step stopped early',
      'It saved no report: it was cancelled, timed out or crashed before it could. The log of the main step says how far it got.',
    );
  } else {
    const failedPhase = report.phases.find((p) => !p.ok);
    const last = report.phases.at(-1);
    parts.push(
      report.failure
        ? `## setup-microk8s failed${failedPhase ? `: ${cell(failedPhase.name)}` : ''}`
        : report.finished
          ? `## MicroK8s ${cell(report.channel)} is ready`
          : `## setup-microk8s stopped before it finished${last ? `, after: ${cell(last.name)}` : ''}`,
    );
    if (report.failure) parts.push(`> ${cell(firstLine(report.failure.message))}`);
    parts.push(
      clusterTable(report),
      ...imagesSection(report),
      ...phasesSection(report),
      ...failureSection(report),
    );
  }
  if (diagnostics) parts.push(diagnosticsLine(diagnostics));
  return `${parts.join('\n\n')}\n`;
}

/** Appends the summary to the job's summary; a failure here is a warning, never the job's end. */
export async function writeSummary(
  report: Report | undefined,
  diagnostics?: DiagnosticsPlace,
): Promise<void> {
  try {
    await core.summary.addRaw(renderSummary(report, diagnostics)).write();
  } catch (e) {
    core.warning(`Could not write the job summary: ${e instanceof Error ? e.message : String(e)}`);
  }
}
