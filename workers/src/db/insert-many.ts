// Many rows in one D1 statement with one bound parameter: the rows go in as a JSON array of
// arrays and SQLite's json_each spreads them into the table. D1 allows 100 bound parameters
// per statement, so a plain multi-row INSERT holds only a few rows of a wide table, and a
// statement per row costs a round of statement handling each (locally, in Miniflare's D1,
// most of an outbox flush's time). Used by the outboxes (audit events, usage rows), which
// write the same rows again after a partial failure: existing keys are left as they are.
import { getTableColumns, getTableName, type Table } from "drizzle-orm";

/**
 * Under D1's 2 MB limit on a bound string: counted in UTF-16 units (string length), each at
 * most 3 bytes in UTF-8, so even text that is all non-ASCII stays below 2 MB.
 */
const MAX_PARAM_UNITS = 600_000;

/**
 * Statements inserting `rows` (objects keyed like the drizzle table) into `table`, skipping
 * rows whose key is already there. One statement per ~600 KB of rows; run them in a batch.
 */
export function insertManyIgnoringConflicts<T extends Table>(d1: D1Database, table: T, rows: T["$inferInsert"][]): D1PreparedStatement[] {
  const columns = Object.entries(getTableColumns(table));
  const names = columns.map(([, c]) => `"${c.name}"`).join(", ");
  const picks = columns.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ");
  const sql = `INSERT INTO "${getTableName(table)}" (${names}) SELECT ${picks} FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING`;
  const statements: D1PreparedStatement[] = [];
  let chunk: string[] = [];
  let units = 0;
  const emit = () => {
    if (chunk.length > 0) statements.push(d1.prepare(sql).bind(`[${chunk.join(",")}]`));
    chunk = [];
    units = 0;
  };
  for (const row of rows) {
    const values = columns.map(([key, c]) => {
      const v = (row as Record<string, unknown>)[key];
      if (v === undefined && c.notNull) throw new Error(`insertManyIgnoringConflicts: ${getTableName(table)}.${c.name} is required`);
      // The column's own mapping (booleans to 0/1, JSON columns to text), as drizzle does.
      return v === undefined || v === null ? null : c.mapToDriverValue(v);
    });
    const json = JSON.stringify(values);
    if (units + json.length > MAX_PARAM_UNITS) emit();
    chunk.push(json);
    units += json.length + 1;
  }
  emit();
  return statements;
}
