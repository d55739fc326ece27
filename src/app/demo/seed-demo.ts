import type { Database } from '../../db/database.js';

export type DemoOptions = { readonly seed: number; readonly out: (line: string) => void };

/** Placeholder replaced by the full demo seeder. */
export async function seedDemo(_database: Database, _options: DemoOptions): Promise<void> {}
