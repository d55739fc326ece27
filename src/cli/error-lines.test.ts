import { describe, expect, it } from 'vitest';
import { DomainError, fieldError } from '../domain/errors.js';
import { domainErrorLines, unreachableDatabaseLine } from './error-lines.js';

describe('domainErrorLines', () => {
  it('names every field at fault under the code and message', () => {
    const error = new DomainError('VALIDATION_FAILED', 'The user is invalid.', [
      { field: 'email', message: 'must be an email address like name@example.com' },
      { field: 'role', message: 'is not a known role' },
    ]);
    expect(domainErrorLines(error)).toEqual([
      'VALIDATION_FAILED: The user is invalid.',
      '  email: must be an email address like name@example.com',
      '  role: is not a known role',
    ]);
  });

  it('says a one-field error once, with its field', () => {
    expect(
      domainErrorLines(fieldError('CONFLICT', 'email', 'A user with email a@b.example already exists.')),
    ).toEqual(['CONFLICT: email: A user with email a@b.example already exists.']);
  });

  it('prints the code and message alone when no field is at fault', () => {
    expect(domainErrorLines(new DomainError('CONFLICT', 'Busy.'))).toEqual(['CONFLICT: Busy.']);
  });
});

describe('unreachableDatabaseLine', () => {
  const env = { DATABASE_URL: 'postgres://kibble:s3cret@db.example:5433/shop' };
  it('names where it tried, without the password, and why', () => {
    expect(unreachableDatabaseLine(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), env)).toBe(
      'Kibble: cannot connect to PostgreSQL at postgres://kibble:***@db.example:5433/shop (DATABASE_URL): nothing answered (ENOTFOUND)',
    );
    expect(unreachableDatabaseLine(Object.assign(new Error('x'), { code: '28P01' }), env)).toContain(
      'the password was refused',
    );
  });
  it('leaves other errors, and SQLite, to the caller', () => {
    expect(unreachableDatabaseLine(Object.assign(new Error('x'), { code: '23505' }), env)).toBeUndefined();
    expect(unreachableDatabaseLine(new Error('x'), env)).toBeUndefined();
    expect(
      unreachableDatabaseLine(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), {}),
    ).toBeUndefined();
  });
});
