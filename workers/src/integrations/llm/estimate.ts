// Token estimates without a tokenizer, for budget reservations before a request runs and for
// output a stream delivered but never reported. One rule for both providers: text counts as
// ceil(characters / 4), the usual rule of thumb for English with GPT- and Claude-family
// tokenizers; an image or document counts as MEDIA_BLOCK_TOKENS, and its base64 bytes are not
// counted as text. Code and non-Latin scripts run denser than 4 characters a token, so this can
// undercount: a reservation is an estimate, and the settled cost uses the provider's counts.

export const CHARS_PER_TOKEN = 4;
/** Anthropic: a ~1.15-megapixel image is about 1,600 tokens (width × height / 750); OpenAI's high-detail images are fewer. */
export const MEDIA_BLOCK_TOKENS = 1_600;

export const tokensForChars = (chars: number): number => Math.ceil(chars / CHARS_PER_TOKEN);

/** What a request can cost, before it runs. */
export interface RequestEstimate {
  model: string | null;
  stream: boolean;
  /** Estimated prompt tokens: system, messages and tool definitions. */
  inputTokens: number;
  /** The request's own output cap, or null when it sets none (the gateway must pick a cap). */
  maxOutputTokens: number | null;
}

/** Content blocks that carry bytes rather than text, in either provider's format. */
function isMedia(o: Record<string, unknown>): boolean {
  const t = o.type;
  return t === "image" || t === "document" || t === "image_url" || t === "input_audio" || t === "file";
}

/**
 * Characters of text in a message tree, and how many media blocks it holds. Counts string
 * values only (not keys or punctuation), so a plain text message counts exactly its text.
 */
export function measureContent(value: unknown): { chars: number; media: number } {
  let chars = 0;
  let media = 0;
  const walk = (v: unknown): void => {
    if (typeof v === "string") chars += v.length;
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      if (isMedia(o)) {
        media++;
        return;
      }
      for (const [k, x] of Object.entries(o)) if (k !== "type" && k !== "cache_control" && k !== "role") walk(x);
    }
  };
  walk(value);
  return { chars, media };
}

/** Tool definitions go in whole: their JSON schemas are prompt text to the model. */
export const toolChars = (tools: unknown): number => (tools === undefined || tools === null ? 0 : JSON.stringify(tools).length);

export function estimateInputTokens(parts: unknown[], tools: unknown): number {
  let chars = toolChars(tools);
  let media = 0;
  for (const p of parts) {
    const m = measureContent(p);
    chars += m.chars;
    media += m.media;
  }
  return tokensForChars(chars) + media * MEDIA_BLOCK_TOKENS;
}

/** A positive integer output cap, or null. */
export const outputCap = (v: unknown): number | null => (typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : null);

/**
 * Model output a stream delivered, as an estimate of the tokens it cost: for a stream cut
 * before the provider reported its final count.
 */
export class StreamedText {
  private chars = 0;
  add(s: unknown): void {
    if (typeof s === "string") this.chars += s.length;
  }
  tokens(): number {
    return tokensForChars(this.chars);
  }
}
