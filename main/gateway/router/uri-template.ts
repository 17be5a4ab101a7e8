/**
 * Turns an RFC 6570 URI template into a RegExp that matches the URIs it can expand to. Used only to
 * route `resources/read` and completions to the upstream whose template covers a URI, so a loose
 * match is enough: the upstream itself decides whether the resource exists.
 */
export function uriTemplateToRegExp(template: string): RegExp {
  let out = '';
  let last = 0;
  const exprRe = /\{([+#./;?&]?)([^}]*)\}/g;
  for (let m = exprRe.exec(template); m !== null; m = exprRe.exec(template)) {
    out += escapeLiteral(template.slice(last, m.index));
    out += expressionPattern(m[1] ?? '');
    last = m.index + m[0].length;
  }
  out += escapeLiteral(template.slice(last));
  return new RegExp(`^${out}$`);
}

function escapeLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// RFC 6570 section 3.2: what each operator may expand to.
function expressionPattern(operator: string): string {
  switch (operator) {
    case '+':
      return '.*';
    case '#':
      return '(?:#.*)?';
    case '/':
      return '(?:/[^/?#]*)*';
    case '.':
      return '(?:\\.[^/?#]*)*';
    case ';':
      return '(?:;[^/?#]*)*';
    case '?':
      return '(?:\\?[^#]*)?';
    case '&':
      return '(?:&[^#]*)?';
    default:
      return '[^/?#]*';
  }
}
