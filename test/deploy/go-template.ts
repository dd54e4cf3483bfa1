/**
 * Just enough of Go's text/template lexer to check Helm templates without Helm: it finds the
 * actions ({{ … }}) of a file, honouring strings, raw strings and comments inside them.
 */

export interface Action {
  /** The text between the delimiters, trim markers and surrounding spaces removed. */
  body: string;
  /** 1-based line of the opening delimiter. */
  line: number;
}

export class TemplateSyntaxError extends Error {}

/** The actions of a template, in order; throws on a delimiter that is not closed or not opened. */
export function lexActions(source: string): Action[] {
  const actions: Action[] = [];
  let i = 0;
  const lineAt = (index: number): number => source.slice(0, index).split('\n').length;
  for (;;) {
    const open = source.indexOf('{{', i);
    const strayClose = source.indexOf('}}', i);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      throw new TemplateSyntaxError(`line ${lineAt(strayClose)}: "}}" without an opening "{{"`);
    }
    if (open === -1) return actions;
    let j = open + 2;
    let closed = -1;
    while (j < source.length) {
      const c = source[j];
      if (source.startsWith('/*', j)) {
        const end = source.indexOf('*/', j + 2);
        if (end === -1) throw new TemplateSyntaxError(`line ${lineAt(j)}: unclosed comment`);
        j = end + 2;
      } else if (c === '"') {
        j++;
        while (j < source.length && source[j] !== '"') j += source[j] === '\\' ? 2 : 1;
        if (j >= source.length) throw new TemplateSyntaxError(`line ${lineAt(open)}: unclosed string`);
        j++;
      } else if (c === '`') {
        const end = source.indexOf('`', j + 1);
        if (end === -1) throw new TemplateSyntaxError(`line ${lineAt(j)}: unclosed raw string`);
        j = end + 1;
      } else if (source.startsWith('{{', j)) {
        throw new TemplateSyntaxError(`line ${lineAt(j)}: "{{" inside the action opened on line ${lineAt(open)}`);
      } else if (source.startsWith('}}', j)) {
        closed = j;
        break;
      } else {
        j++;
      }
    }
    if (closed === -1) throw new TemplateSyntaxError(`line ${lineAt(open)}: "{{" is never closed`);
    const body = source
      .slice(open + 2, closed)
      .replace(/^-\s/, '')
      .replace(/\s-$/, '')
      .trim();
    actions.push({ body, line: lineAt(open) });
    i = closed + 2;
  }
}

const OPENERS = new Set(['if', 'range', 'with', 'define', 'block']);

/** Checks that if/range/with/define/block and end pair up; returns the names of the defines. */
export function checkBlocks(actions: Action[]): string[] {
  const stack: Action[] = [];
  const defines: string[] = [];
  for (const action of actions) {
    const keyword = /^([a-z]+)\b/.exec(action.body)?.[1];
    if (keyword === undefined) continue;
    if (OPENERS.has(keyword)) {
      stack.push(action);
      if (keyword === 'define') {
        const name = /^define\s+"([^"]+)"/.exec(action.body)?.[1];
        if (!name) throw new TemplateSyntaxError(`line ${action.line}: define without a quoted name`);
        defines.push(name);
      }
    } else if (keyword === 'else') {
      if (stack.length === 0) throw new TemplateSyntaxError(`line ${action.line}: else outside a block`);
    } else if (keyword === 'end') {
      if (!stack.pop()) throw new TemplateSyntaxError(`line ${action.line}: end without a block to close`);
    }
  }
  const open = stack.pop();
  if (open) throw new TemplateSyntaxError(`line ${open.line}: "${open.body.split(/\s/)[0]}" is never ended`);
  return defines;
}

/** Names given to `include` and `template` in the actions. */
export function includedNames(actions: Action[]): { name: string; line: number }[] {
  const names: { name: string; line: number }[] = [];
  for (const action of actions) {
    for (const match of action.body.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)) {
      names.push({ name: match[1]!, line: action.line });
    }
  }
  return names;
}

/** Paths read from .Values (e.g. ["gateway", "service", "port"]). */
export function valuesPaths(actions: Action[]): { path: string[]; line: number }[] {
  const paths: { path: string[]; line: number }[] = [];
  for (const action of actions) {
    for (const match of action.body.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
      paths.push({ path: match[1]!.slice(1).split('.'), line: action.line });
    }
  }
  return paths;
}
