/** A runnable demo of the dynamic batcher. */
package dev.sluice.examples.demo;
