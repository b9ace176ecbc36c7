// Server-sent events: turns a response body, fed in chunks cut anywhere (mid-line, mid-CRLF,
// mid-UTF-8 character), into whole events. Follows the WHATWG HTML "event stream" parsing
// rules (§9.2.6): lines end in CRLF, LF or CR; a blank line dispatches; ":" lines are
// comments; one space after the colon is dropped; "data" lines join with "\n"; an event with
// no data is not dispatched; an event still open when the stream ends is discarded.
// Used by the Anthropic and OpenAI stream meters.

export interface SseEvent {
  /** The `event:` field, "message" when absent (as the spec says). */
  event: string;
  data: string;
}

export class SseDecoder {
  private readonly utf8 = new TextDecoder("utf-8");
  private line = "";
  /** The last chunk ended in CR: a LF opening the next chunk belongs to that line break. */
  private afterCR = false;
  private started = false;
  private eventName = "";
  private data: string[] = [];

  /** Feed text or raw bytes; returns the events this chunk completed, in order. */
  push(chunk: string | Uint8Array): SseEvent[] {
    let text = typeof chunk === "string" ? chunk : this.utf8.decode(chunk, { stream: true });
    if (text.length === 0) return [];
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a leading BOM is not content
    }
    if (this.afterCR && text.charCodeAt(0) === 0x0a) text = text.slice(1);
    this.afterCR = false;

    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      this.processLine(this.line + text.slice(start, i), out);
      this.line = "";
      if (c === 0x0d) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 0x0a) i++;
        } else this.afterCR = true;
      }
      start = i + 1;
    }
    this.line += text.slice(start);
    return out;
  }

  private processLine(line: string, out: SseEvent[]): void {
    if (line.length === 0) {
      if (this.data.length > 0) out.push({ event: this.eventName || "message", data: this.data.join("\n") });
      this.data = [];
      this.eventName = "";
      return;
    }
    if (line.charCodeAt(0) === 0x3a) return; // ":" comment (keep-alives)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.eventName = value;
    // "id" and "retry" matter to reconnecting browsers, not to metering.
  }
}
