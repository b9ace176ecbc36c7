// One drizzle client per request over the D1 binding.
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import type { Env } from "../env";

export type Db = DrizzleD1Database;

export const database = (env: Pick<Env, "DB">): Db => drizzle(env.DB);

/** D1 reports constraint failures as error text; this is how a lost race becomes a 409. */
export function isUniqueViolation(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}` : String(err);
  return /UNIQUE constraint failed/i.test(text);
}
