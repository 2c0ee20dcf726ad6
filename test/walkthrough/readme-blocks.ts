/**
 * Reads the README as a newcomer does: the code blocks marked `<!-- walkthrough -->`, in
 * order, as commands to type, answers they should see, and files to write.
 */

export const WALKTHROUGH_MARKER = '<!-- walkthrough -->';

/** A file the README says to write: a `ts` block whose first line is `// <path>`. */
export interface FileStep {
  kind: 'file';
  path: string;
  content: string;
  line: number;
}

/** A command line (continuations joined), with the answer lines the README shows under it. */
export interface CommandStep {
  kind: 'command';
  command: string;
  expected: string[];
  line: number;
}

export type Step = FileStep | CommandStep;

/** The marked blocks of `markdown`, as steps. Unmarked blocks (anyone's new sections) are left alone. */
export function walkthroughSteps(markdown: string): Step[] {
  const lines = markdown.split('\n');
  const steps: Step[] = [];
  let marked = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === WALKTHROUGH_MARKER) {
      marked = true;
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line);
    if (!fence) {
      if (line.trim() !== '') marked = false;
      continue;
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const body = lines.slice(start, end);
    if (marked) steps.push(...stepsOf(fence[1], body, start + 1));
    marked = false;
    i = end;
  }
  return steps;
}

function stepsOf(language: string, body: string[], line: number): Step[] {
  if (language === 'ts') {
    const path = /^\/\/ (\S+\.ts)$/.exec(body[0] ?? '')?.[1];
    if (!path)
      throw new Error(
        `README line ${line}: a walkthrough ts block starts with "// <path>"`,
      );
    return [{ kind: 'file', path, content: `${body.join('\n')}\n`, line }];
  }
  if (language !== 'bash')
    throw new Error(
      `README line ${line}: walkthrough blocks are bash or ts, not "${language}"`,
    );
  const steps: CommandStep[] = [];
  for (let i = 0; i < body.length; i++) {
    const text = body[i];
    if (text.trim() === '') continue;
    if (text.startsWith('# ')) {
      const last = steps.at(-1);
      if (!last)
        throw new Error(
          `README line ${line + i}: an answer before any command`,
        );
      last.expected.push(text.slice(2));
      continue;
    }
    let command = text;
    const at = line + i;
    while (command.trimEnd().endsWith('\\') && i + 1 < body.length) {
      command = `${command.trimEnd().slice(0, -1)} ${body[++i].trim()}`;
    }
    steps.push({ kind: 'command', command, expected: [], line: at });
  }
  return steps;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/**
 * A line the README shows, as a pattern: an example UUID (whole, or cut short with `…`)
 * stands for any UUID, and `…` for anything; everything else must be there as written.
 */
export function patternOf(shown: string): RegExp {
  const placeholders: string[] = [];
  const keep = (regex: string) => `\uE000${placeholders.push(regex) - 1}\uE000`;
  const marked = shown
    .replace(new RegExp(UUID, 'g'), () => keep(UUID))
    .replace(/[0-9a-f]{8}-…/g, () => keep(UUID))
    .replace(/…/g, () => keep('.*'));
  const escaped = marked.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${escaped.replace(/\uE000(\d+)\uE000/g, (_m, n: string) => placeholders[Number(n)])}$`,
  );
}

/** An answer as curl prints it: with `-i`, a status line and headers before the body. */
export interface CurlAnswer {
  statusLine?: string;
  headers: Map<string, string>;
  body: string;
}

export function parseCurlOutput(output: string): CurlAnswer {
  const headers = new Map<string, string>();
  if (!output.startsWith('HTTP/')) return { headers, body: output.trim() };
  const [head, ...rest] = output.split(/\r?\n\r?\n/);
  const [statusLine, ...headerLines] = head.split(/\r?\n/);
  for (const header of headerLines) {
    const colon = header.indexOf(':');
    headers.set(
      header.slice(0, colon).trim().toLowerCase(),
      header.slice(colon + 1).trim(),
    );
  }
  return {
    statusLine: statusLine.trim(),
    headers,
    body: rest.join('\n\n').trim(),
  };
}

/** The lines the README shows that this answer does not match; empty when it matches. */
export function mismatches(expected: string[], answer: CurlAnswer): string[] {
  const wrong: string[] = [];
  for (const shown of expected) {
    if (shown.startsWith('HTTP/')) {
      if (answer.statusLine !== shown)
        wrong.push(`${shown}  ≠  ${answer.statusLine ?? '(no status line)'}`);
      continue;
    }
    const header = /^([A-Za-z][\w-]*): (.*)$/.exec(shown);
    if (header && !shown.startsWith('{') && !shown.startsWith('[')) {
      const actual = answer.headers.get(header[1].toLowerCase());
      if (actual === undefined || !patternOf(header[2]).test(actual))
        wrong.push(`${shown}  ≠  ${header[1]}: ${actual ?? '(missing)'}`);
      continue;
    }
    if (!patternOf(shown).test(answer.body))
      wrong.push(`${shown}  ≠  ${answer.body}`);
  }
  return wrong;
}
