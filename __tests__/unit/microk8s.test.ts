import { describe, expect, it } from 'vitest';
import { addonNotFound, enableRetryPolicy } from '../../src/microk8s.js';

const out = (stdout: string, stderr = '') => ({ code: 0, stdout, stderr });

describe('addonNotFound', () => {
  it.each([
    [out('', 'Addon foo was not found in any repository'), true],
    [out('Addon core/foo not found'), true],
    [out('Infer repository core for addon dns\nEnabling DNS\nDNS is enabled'), false],
    [out('Addon core/dns is already enabled'), false],
  ])('%j → %s', (result, notFound) => {
    expect(addonNotFound(result)).toBe(notFound);
  });
});

describe('enableRetryPolicy', () => {
  it.each([
    ['error: snap "microk8s" has "service-control" change in progress', true],
    ['Addon foo was not found in any repository', false],
  ])('retries %j: %s', (stderr, transient) => {
    expect(enableRetryPolicy(Date.now() + 60_000).transient({ code: 1, stdout: '', stderr })).toBe(
      transient,
    );
  });
});
