import { describe, expect, it } from 'vitest';
import { formatBytes, formatValue } from '../../../src/shared/format.js';

describe('formatValue', () => {
  it('writes each unit the way a person reads it', () => {
    expect(formatValue(0.8321, 'ratio')).toBe('83.2%');
    expect(formatValue(0.0042, 's')).toBe('4.2ms');
    expect(formatValue(1.5, 's')).toBe('1.50s');
    expect(formatValue(3 * 1024 ** 3, 'By')).toBe('3.0 GiB');
    expect(formatValue(2.5, '1')).toBe('2.5 1');
    expect(formatValue(7, '')).toBe('7');
  });
  it('shows a missing value as a dash', () => {
    expect(formatValue(null, 'ratio')).toBe('–');
    expect(formatValue(undefined, 's')).toBe('–');
  });
});

describe('formatBytes', () => {
  it('uses binary units, whole bytes below a KiB', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1024 ** 6)).toBe('1024.0 PiB');
  });
});
