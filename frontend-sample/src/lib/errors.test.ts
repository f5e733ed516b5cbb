import { describe, expect, it } from 'vitest';
import { CombinedError } from '@urql/core';
import { errorsByField, fieldKey, fieldProblemMessage, sentence, requestErrorMessage, userErrorMessage } from './errors';

describe('user errors', () => {
  it('keeps the server message, which says how many are left', () => {
    expect(userErrorMessage({ code: 'OUT_OF_STOCK', field: null, message: 'Only 2 left of Navy / M.' })).toBe('Only 2 left of Navy / M.');
  });
  it('explains a version conflict as a refreshed cart', () => {
    expect(userErrorMessage({ code: 'VERSION_CONFLICT', field: null, message: 'stale version' })).toMatch(/another tab.*refreshed/);
  });
  it('falls back to words when the message is empty', () => {
    expect(userErrorMessage({ code: 'RATE_LIMITED', field: null, message: '' })).toMatch(/wait/);
  });
  it('groups errors by the last segment of their field path', () => {
    expect(
      errorsByField([
        { code: 'INVALID', field: ['input', 'email'], message: 'Enter a valid email.' },
        { code: 'WEAK_PASSWORD', field: ['input', 'password'], message: 'Too short.' },
        { code: 'INVALID_CREDENTIALS', field: null, message: 'Wrong email or password.' },
      ]),
    ).toEqual({ email: 'Enter a valid email.', password: 'Too short.', _form: 'Wrong email or password.' });
  });
  it('maps checkout problem fields to form fields', () => {
    expect(fieldKey(['shippingAddress', 'city'])).toBe('city');
    expect(fieldKey(null)).toBeNull();
  });
});

describe('request errors', () => {
  it('never shows raw errors', () => {
    expect(requestErrorMessage(new CombinedError({ networkError: new Error('fetch failed: ECONNREFUSED') }))).toMatch(/Could not reach the shop/);
    expect(requestErrorMessage(new CombinedError({ graphQLErrors: [{ message: 'db exploded', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }))).toBe(
      'Something went wrong on our side. Please try again.',
    );
    expect(requestErrorMessage(new CombinedError({ graphQLErrors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED' } }] }))).toMatch(/wait/);
    expect(requestErrorMessage(null)).toBeNull();
  });
});

describe('field problems in words', () => {
  it('uses the form label, not the API field name', () => {
    expect(fieldProblemMessage('Postal code', 'postalCode is required')).toBe('Please enter postal code.');
    expect(fieldProblemMessage('Email', 'an email address is required')).toBe('An email address is required.');
    expect(fieldProblemMessage('State / region', 'a state or province is required for US')).toBe('A state or province is required for US.');
  });
  it('makes sentences', () => {
    expect(sentence('card declined')).toBe('Card declined.');
    expect(sentence('Done!')).toBe('Done!');
  });
});
