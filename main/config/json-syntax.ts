/**
 * Locates the first JSON syntax error in a text. V8's JSON.parse names a character offset for most
 * errors but not all (e.g. "Unexpected token 'x', "..." is not valid JSON" quotes the source, which may
 * hold a pasted credential, and gives no offset), so the config loader scans the text itself to report
 * line:column and a short reason without echoing the file's content. RFC 8259 grammar.
 */
export function findJsonSyntaxError(text: string): { offset: number; reason: string } | undefined {
  let i = 0;
  const fail = (reason: string): never => {
    throw new ScanError(i, reason);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const describeHere = (): string =>
    i >= text.length ? 'unexpected end of file' : `unexpected character ${JSON.stringify(text[i])}`;
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(describeHere());
  };
  const string = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character or line break inside a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in a string');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('bad escape in a string');
      } else i++;
    }
    fail('unterminated string');
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail(describeHere());
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 512) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"')
          fail(
            text[i] === '}'
              ? 'trailing comma before "}"'
              : `expected a property name in double quotes, ${describeHere()}`,
          );
        string();
        ws();
        if (text[i] !== ':') fail(`expected ":" after a property name, ${describeHere()}`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail(`expected "," or "}" after a property value, ${describeHere()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === ']') fail('trailing comma before "]"');
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail(`expected "," or "]" after an array element, ${describeHere()}`);
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    fail(i >= text.length ? 'unexpected end of file (the file is empty or cut short)' : describeHere());
  };
  try {
    // A UTF-8 BOM is tolerated, as JSON.parse in the loader strips it too.
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value(0);
    ws();
    if (i < text.length) fail(`unexpected content after the end of the JSON value: ${describeHere()}`);
    return undefined;
  } catch (err) {
    if (err instanceof ScanError) return { offset: err.offset, reason: err.reason };
    throw err;
  }
}

class ScanError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}
