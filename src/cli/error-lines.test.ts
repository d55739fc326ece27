import { describe, expect, it } from 'vitest';
import { DomainError, fieldError } from '../domain/errors.js';
import { domainErrorLines } from './error-lines.js';

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
