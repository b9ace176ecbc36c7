// Shared by the webhook receiver tests: fixtures read as raw text (signatures cover the exact
// bytes, so they are never re-serialised), header sets, and signatures computed with
// node:crypto, independently of the code under test.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

/** A fixture's exact text: the raw body a provider would send. */
export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

/** A fixture with one change made to its parsed JSON, re-serialised (then signed as such). */
export function edited(name: string, edit: (body: Record<string, any>) => void): string {
  const body = JSON.parse(fixture(name)) as Record<string, any>;
  edit(body);
  return JSON.stringify(body);
}

export const headers = (values: Record<string, string>): Headers => new Headers(values);

export const hmacHex = (secret: string, message: string): string => createHmac("sha256", secret).update(message, "utf8").digest("hex");

export const hmacBase64 = (secret: string, message: string): string =>
  createHmac("sha256", secret).update(message, "utf8").digest("base64");

export const atSeconds = (seconds: number): Date => new Date(seconds * 1000);
