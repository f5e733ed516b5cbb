import { describe, expect, it } from 'vitest';
import { holdState } from './cartTimer';

const at = Date.parse('2026-12-01T12:00:00Z');

describe('holdState', () => {
  it('counts down whole seconds from reservedUntil', () => {
    expect(holdState('2026-12-01T12:10:00Z', at)).toEqual({ secondsLeft: 600, lapsed: false, label: '10:00', urgent: false });
    expect(holdState('2026-12-01T12:00:59.200Z', at)?.label).toBe('1:00');
    expect(holdState('2026-12-01T12:00:05Z', at)).toMatchObject({ label: '0:05', urgent: true, lapsed: false });
  });
  it('is lapsed at and after the deadline, never negative', () => {
    expect(holdState('2026-12-01T12:00:00Z', at)).toMatchObject({ secondsLeft: 0, lapsed: true, label: '0:00' });
    expect(holdState('2026-12-01T11:59:00Z', at)).toMatchObject({ secondsLeft: 0, lapsed: true });
  });
  it('has nothing to show without a hold', () => {
    expect(holdState(null, at)).toBeNull();
    expect(holdState('not a date', at)).toBeNull();
  });
});
