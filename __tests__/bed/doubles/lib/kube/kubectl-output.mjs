// kubectl's printers: -o json|yaml|name|jsonpath=|custom-columns=|wide and the default tables,
// and the one-line reports of commands that change objects.
import { KubectlError } from './errors.mjs';
import { typeName } from './resources.mjs';
import { tableFor, labelsString } from './printers.mjs';
import { tabwrite } from './tabwriter.mjs';
import {
  execute as jsonpathExecute,
  goJson,
  relaxed,
  parseTemplate,
  evalPath,
  parsePath,
} from './jsonpath.mjs';
import { toYaml } from './manifests.mjs';

const FORMATS =
  'custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml';
const noPrinter = (fmt) =>
  new KubectlError(
    `error: unable to match a printer suitable for the output format "${fmt}", allowed formats are: ${FORMATS}`,
  );

/** kubectl get's tab-aligned columns. */
export const columns = (lines) => tabwrite(lines.join('\n') + '\n', { minwidth: 6, padding: 3 });

/** ` (dry run)` or ` (server dry run)` after a report. */
export const dryRunNote = (dry) =>
  dry ? ` (${dry === 'server' ? 'server dry run' : 'dry run'})` : '';

/** Rejects an -o value no printer takes, before the command changes anything. */
export function checkOutput(fmt) {
  if (!fmt) return;
  const ok =
    ['json', 'yaml', 'wide', 'name'].includes(fmt) ||
    /^(jsonpath|jsonpath-as-json|jsonpath-file|custom-columns|custom-columns-file|go-template|go-template-file|template|templatefile)=/.test(
      fmt,
    );
  if (!ok) throw noPrinter(fmt);
}

/**
 * Prints [{r, obj}] in the -o format of flags: a single object as itself, several as a List,
 * tables one per resource type.
 */
export function printObjects(
  k,
  items,
  flags,
  { single = false, kindPrefix = false, namespaceCol = false } = {},
) {
  const fmt = flags.output ?? '';
  const data =
    single && items.length === 1
      ? items[0].obj
      : {
          apiVersion: 'v1',
          items: items.map((i) => i.obj),
          kind: 'List',
          metadata: { resourceVersion: '' },
        };
  if (fmt === 'json' || fmt === 'yaml') {
    k.write(fmt === 'json' ? goJson(data, 4) + '\n' : toYaml(data));
    return;
  }
  if (fmt === 'name') {
    for (const i of items) k.out(`${typeName(i.r)}/${i.obj.metadata.name}`);
    return;
  }
  if (fmt.startsWith('jsonpath=') || fmt.startsWith('jsonpath-as-json=')) {
    const tpl = fmt.slice(fmt.indexOf('=') + 1);
    parseTemplate(tpl);
    k.write(jsonpathExecute(tpl, data));
    return;
  }
  if (
    fmt.startsWith('jsonpath-file=') ||
    fmt.startsWith('go-template') ||
    fmt.startsWith('template')
  ) {
    throw new KubectlError(
      `error: output format "${fmt.split('=')[0]}" is not supported by the bed's kubectl`,
    );
  }
  if (fmt.startsWith('custom-columns=')) {
    const cols = fmt
      .slice('custom-columns='.length)
      .split(',')
      .map((c) => {
        const i = c.indexOf(':');
        if (i === -1)
          throw new KubectlError(
            `error: unexpected custom-columns spec: ${c}, expected <header>:<json-path-expr>`,
          );
        return [c.slice(0, i), parsePath(relaxed(c.slice(i + 1)).slice(1, -1))];
      });
    const lines = flags['no-headers'] ? [] : [cols.map((c) => c[0]).join('\t')];
    for (const i of items) {
      const cells = cols.map(([, p]) => {
        const v = evalPath(p, i.obj);
        return v.length
          ? v.map((x) => (typeof x === 'object' ? goJson(x) : String(x))).join(',')
          : '<none>';
      });
      lines.push(cells.join('\t'));
    }
    k.write(columns(lines));
    return;
  }
  if (fmt !== '' && fmt !== 'wide') throw noPrinter(fmt);
  // Tables: one per resource type, a blank line between them.
  const groups = [];
  for (const i of items) {
    const g = groups[groups.length - 1];
    if (g && g.r === i.r) g.items.push(i);
    else groups.push({ r: i.r, items: [i] });
  }
  const blocks = groups.map((g) => {
    const { headers, rows } = tableFor(
      g.r,
      g.items.map((i) => i.obj),
      { wide: fmt === 'wide' },
    );
    const header = [...(namespaceCol ? ['NAMESPACE'] : []), ...headers];
    if (flags['show-labels']) header.push('LABELS');
    const lines = flags['no-headers'] ? [] : [header.join('\t')];
    rows.forEach((row, n) => {
      const o = g.items[n].obj;
      const cells = [...row];
      if (kindPrefix) cells[0] = `${typeName(g.r)}/${cells[0]}`;
      if (flags['show-labels']) cells.push(labelsString(o.metadata.labels));
      if (namespaceCol) cells.unshift(o.metadata.namespace ?? '');
      lines.push(cells.join('\t'));
    });
    return columns(lines);
  });
  k.write(blocks.join('\n'));
}

/** What apply, create and run print for the objects they changed: -o, or `TYPE/NAME verb`. */
export function printMutations(k, items, flags, dry) {
  const fmt = flags.output ?? '';
  if (fmt && fmt !== 'name') {
    printObjects(k, items, flags, { single: items.length === 1 });
    return;
  }
  for (const i of items) {
    if (fmt === 'name') k.out(`${typeName(i.r)}/${i.obj.metadata.name}`);
    else k.out(`${typeName(i.r)}/${i.obj.metadata.name} ${i.verb}${dryRunNote(dry)}`);
  }
}

/** kubectl's message for an empty list: in one namespace, or (null) in all. */
export const noResources = (ns) =>
  ns ? `No resources found in ${ns} namespace.` : 'No resources found';
