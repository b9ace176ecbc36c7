// Opaque keyset cursors for lists ordered newest first by (created_at, id): stable under
// concurrent inserts, and a cursor from one list is useless on another org's data because
// every query is also filtered by org.
import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { fail } from "../domain/errors";

interface Position {
  createdAt: string;
  id: string;
}

export function encodeCursor(p: Position): string {
  return btoa(JSON.stringify([p.createdAt, p.id])).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

export function decodeCursor(cursor: string): Position {
  try {
    const [createdAt, id] = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))) as unknown[];
    if (typeof createdAt === "string" && typeof id === "string") return { createdAt, id };
  } catch {
    /* falls through to the validation problem */
  }
  return fail({ kind: "validation", detail: "Invalid query.cursor.", issues: [{ path: "query.cursor", message: "not a cursor this list issued", code: "invalid_cursor" }] });
}

export function afterCursor(cols: { createdAt: SQLiteColumn; id: SQLiteColumn }, cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const p = decodeCursor(cursor);
  return or(lt(cols.createdAt, p.createdAt), and(eq(cols.createdAt, p.createdAt), lt(cols.id, p.id)));
}

export const newestFirst = (cols: { createdAt: SQLiteColumn; id: SQLiteColumn }) => [desc(cols.createdAt), desc(cols.id)];

/** Given limit+1 fetched rows, the page and the cursor for the next one. */
export function page<T extends Position>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const pageRows = rows.slice(0, limit);
  return { rows: pageRows, nextCursor: encodeCursor(pageRows[pageRows.length - 1]!) };
}
