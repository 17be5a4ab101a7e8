/** One Server-Sent Event (HTML Living Standard, "Server-sent events": event stream interpretation). */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

/**
 * Reads events from an SSE body. Lines end in CRLF, LF or CR; `data` lines join with "\n"; comment
 * lines (":") are skipped; an event is dispatched at a blank line and only if it had data (per spec,
 * an event without data lines is not dispatched, but its `id` still updates the last event id, which
 * is why `onId` exists: 2025-11-25 servers send such "priming" events for resumption).
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array>, onId?: (id: string) => void): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buf = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let retry: number | undefined;
  let sawCr = false;
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let text = decoder.decode(value, { stream: true });
      // A CR at the end of the previous chunk and an LF at the start of this one are one line end.
      if (sawCr && text.startsWith('\n')) text = text.slice(1);
      sawCr = text.endsWith('\r');
      buf += text;
      let m: RegExpExecArray | null;
      const lineEnd = /\r\n|\r|\n/g;
      let start = 0;
      while ((m = lineEnd.exec(buf)) !== null) {
        const line = buf.slice(start, m.index);
        start = m.index + m[0].length;
        if (line === '') {
          if (id !== undefined) onId?.(id);
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}), ...(retry !== undefined ? { retry } : {}) };
          data = [];
          event = '';
          retry = undefined;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
        else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
      }
      buf = buf.slice(start);
    }
  } finally {
    reader.releaseLock();
  }
}
