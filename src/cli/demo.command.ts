/**
 * `kibble demo`: migrates, then seeds the demo pet-supplies shop into an EMPTY catalog (it refuses,
 * with exit code 3, when SKUs already exist, rather than mixing demo data into a real shop).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { configFromEnv, openDatabase } from '../db/database.js';

const wholeNumber = (label: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${label} must be a whole number from ${min} to ${max}.`);
  }
  return n;
};

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Seed a realistic pet-supplies shop (≥ 2,000 SKUs, 3 warehouses, a store, opening stock, 90 days of orders) into an empty database',
    )
    .option(
      '--seed <n>',
      'seed of the generator: the same seed gives the same shop',
      wholeNumber('--seed', 0, 2 ** 32 - 1),
      42,
    )
    .option(
      '--skus <n>',
      'seed a smaller sample of exactly n SKUs (default: the full catalog)',
      wholeNumber('--skus', 20, 100_000),
    )
    .option('--no-orders', 'skip the 90 days of order history')
    .action(async (opts: { seed: number; skus?: number; orders: boolean }) => {
      const { seedDemo } = await import('../app/demo/seed-demo.js');
      const database = openDatabase(configFromEnv());
      try {
        await database.migrate();
        await seedDemo(database, {
          seed: opts.seed,
          skus: opts.skus,
          orders: opts.orders,
          out: (line) => process.stdout.write(`${line}\n`),
        });
        process.stdout.write(
          'Next: `kibble keys create --role admin` for an API key, then `kibble serve`; `kibble stock verify` checks balances against the ledger and the open allocations.\n',
        );
      } finally {
        await database.close();
      }
    });
}
