/**
 * Helpers that migrations may use. Migrations are frozen in time: they see `Kysely<any>` and never
 * import application code, so a later change to the app cannot rewrite history.
 */
import { PostgresAdapter, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely } from 'kysely';

export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Integer column for quantities and money: `bigint` on PostgreSQL, INTEGER on SQLite. */
export const int = 'bigint' as const;

/** An auto-incrementing integer primary key named `seq`. */
export function withSeq<T extends string>(
  db: Kysely<any>,
  table: CreateTableBuilder<T, any>,
): CreateTableBuilder<T, any> {
  return isPostgres(db)
    ? table.addColumn('seq', 'bigint', (c: ColumnDefinitionBuilder) =>
        c.generatedAlwaysAsIdentity().primaryKey(),
      )
    : table.addColumn('seq', 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement());
}
