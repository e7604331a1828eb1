/**
 * Fakes for testing services built on Sluice without real models: {@link dev.sluice.testing.FakeModel}
 * imitates a GPU-like cost, fails and hangs on demand, and records every batch it saw.
 */
package dev.sluice.testing;
