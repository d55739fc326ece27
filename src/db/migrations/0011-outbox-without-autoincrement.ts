import { sql, type Kysely } from 'kysely';
import { isPostgres } from './helpers.js';

/**
 * The outbox loses two B-trees that every commit wrote to (ADR 12). On SQLite its `seq` was
 * `AUTOINCREMENT`, which updates the `sqlite_sequence` table on every INSERT; a plain `INTEGER
 * PRIMARY KEY` takes the largest `seq` plus one, which only ever grows because retention never
 * deletes the newest event. On both databases the UNIQUE constraint on the event `id` goes: ids
 * are UUIDv7s made by Kibble, and nothing looks an event up by its id.
 *
 * SQLite cannot drop either in place, so the table is rebuilt with its rows and `seq` values. If
 * retention had emptied it, the old high-water mark is kept by one `outbox.sequence_kept` event
 * carrying it, so that no `seq` a live-stream client has seen is ever issued again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`alter table outbox drop constraint if exists outbox_id_key`.execute(db);
    return;
  }
  await sql`create table outbox_new (
    seq integer primary key,
    id text not null,
    type text not null,
    aggregate_type text not null,
    aggregate_id text not null,
    payload text not null,
    created_at text not null,
    published_at text
  )`.execute(db);
  await sql`insert into outbox_new (seq, id, type, aggregate_type, aggregate_id, payload, created_at, published_at)
    select seq, id, type, aggregate_type, aggregate_id, payload, created_at, published_at from outbox order by seq`.execute(
    db,
  );
  const { rows } = await sql<{ high: number | null; top: number | null }>`select
      (select seq from sqlite_sequence where name = 'outbox') as high,
      (select max(seq) from outbox_new) as top`.execute(db);
  const { high, top } = rows[0] ?? { high: null, top: null };
  if (high !== null && (top === null || top < high)) {
    const at = new Date().toISOString();
    await sql`insert into outbox_new (seq, id, type, aggregate_type, aggregate_id, payload, created_at)
      values (${high}, ${`evt_sequence_kept_${high}`}, 'outbox.sequence_kept', 'outbox', 'outbox', '{}', ${at})`.execute(
      db,
    );
  }
  await sql`drop table outbox`.execute(db);
  await sql`alter table outbox_new rename to outbox`.execute(db);
  await sql`delete from sqlite_sequence where name = 'outbox'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`alter table outbox add constraint outbox_id_key unique (id)`.execute(db);
    return;
  }
  await sql`create table outbox_old (
    seq integer primary key autoincrement,
    id text not null unique,
    type text not null,
    aggregate_type text not null,
    aggregate_id text not null,
    payload text not null,
    created_at text not null,
    published_at text
  )`.execute(db);
  await sql`insert into outbox_old select seq, id, type, aggregate_type, aggregate_id, payload, created_at, published_at from outbox order by seq`.execute(
    db,
  );
  await sql`drop table outbox`.execute(db);
  await sql`alter table outbox_old rename to outbox`.execute(db);
}
