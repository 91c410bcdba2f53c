// Go's text/tabwriter (flags 0, space padding): tab-terminated cells are aligned per column
// block, where a block is a run of consecutive lines that have a cell in that column.
// kubectl get uses minwidth 6, padding 3; kubectl describe uses minwidth 0, padding 2.

export function tabwrite(text, { minwidth = 0, padding = 1 } = {}) {
  const rawLines = text.split('\n');
  const trailingNewline = text.endsWith('\n');
  if (trailingNewline) rawLines.pop();
  const lines = rawLines.map((l) => l.split('\t'));
  const out = [];
  const widths = [];

  const writeLines = (line0, line1) => {
    for (let i = line0; i < line1; i++) {
      const cells = lines[i];
      let s = '';
      cells.forEach((c, j) => {
        if (j < cells.length - 1 && j < widths.length)
          s += c + ' '.repeat(Math.max(0, widths[j] - [...c].length));
        else if (j < cells.length - 1) s += c;
        else s += c;
      });
      out[i] = s;
    }
  };

  const format = (line0, line1) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t].length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = minwidth;
      for (; t < line1; t++) {
        if (column >= lines[t].length - 1) break;
        const w = [...lines[t][column]].length + padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
      t--;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (trailingNewline ? '\n' : '');
}
