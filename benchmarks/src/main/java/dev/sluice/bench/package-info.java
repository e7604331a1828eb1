/** JMH benchmarks and the open-loop load driver. */
package dev.sluice.bench;
