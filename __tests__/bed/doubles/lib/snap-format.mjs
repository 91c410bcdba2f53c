// How the snap CLI prints: Go tabwriter tables, error paragraphs filled to the terminal width
// (80 columns when stdout is not a terminal), and snapd's human-readable times.

/** Go's text/tabwriter with snapd's settings (minwidth 5, padding 2); the last column is not padded. */
export function table(rows, { minWidth = 5, padding = 2 } = {}) {
  const widths = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, minWidth, String(cell).length + padding);
    });
  }
  return (
    rows
      .map((row) =>
        row.map((cell, i) => (i < row.length - 1 ? String(cell).padEnd(widths[i]) : cell)).join(''),
      )
      .join('\n') + '\n'
  );
}

/**
 * snapd's fill(): paragraphs are re-wrapped to 72 columns, indented lines are kept as they are,
 * and every line after the first is indented to follow "error: ".
 */
export function fillError(msg) {
  const width = 72;
  const indent = ' '.repeat(7);
  const blocks = [];
  let para = [];
  let code = [];
  const flushPara = () => {
    if (para.length) blocks.push(wrap(para.join(' ').split(/\s+/).filter(Boolean), width));
    para = [];
  };
  const flushCode = () => {
    if (code.length) {
      const common = Math.min(...code.map((l) => l.length - l.trimStart().length));
      blocks.push(code.map((l) => l.slice(common)));
    }
    code = [];
  };
  for (const line of msg.trim().split('\n')) {
    if (line.trim() === '') {
      flushPara();
      flushCode();
    } else if (/^\s/.test(line)) {
      flushPara();
      code.push(line);
    } else {
      flushCode();
      para.push(line);
    }
  }
  flushPara();
  flushCode();
  const lines = blocks.flatMap((b, i) => (i === 0 ? b : ['', ...b]));
  return lines.map((l, i) => (i === 0 || l === '' ? l : indent + l)).join('\n');
}

function wrap(words, width) {
  const lines = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else {
      cur = cur ? `${cur} ${w}` : w;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}

/** timeutil.Human: "today at 15:04 UTC", "yesterday at ...", "3 days ago, at ...". */
export function humanTime(ms, now = Date.now()) {
  const day = (t) => Math.floor(t / 86_400_000);
  const d = day(now) - day(ms);
  const t = new Date(ms);
  const hhmm = `${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')} UTC`;
  if (d > 60 || d < -60) return t.toISOString().slice(0, 10);
  if (d === 0) return `today at ${hhmm}`;
  if (d === 1) return `yesterday at ${hhmm}`;
  if (d > 1) return `${d} days ago, at ${hhmm}`;
  if (d === -1) return `tomorrow at ${hhmm}`;
  return `in ${-d} days, at ${hhmm}`;
}
