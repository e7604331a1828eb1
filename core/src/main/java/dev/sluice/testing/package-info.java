/**
 * A test kit for services built on Sluice, usable in your own unit tests.
 *
 * <ul>
 *   <li>{@link dev.sluice.testing.FakeModel}: a model without weights that imitates a GPU-like cost
 *       ({@code fixed + perItem × n}), fails and hangs on demand, and records every batch it saw.
 *   <li>{@link dev.sluice.testing.TestRuntime}: a runtime whose time moves only when the test advances
 *       it, running the control passes (autoscaling, health checks, watchdog) that time brings, so those
 *       are tested without sleeping. Its clock is {@link dev.sluice.batching.ManualTicker}, which also
 *       drives a {@code DynamicBatcher} used alone.
 * </ul>
 */
package dev.sluice.testing;
