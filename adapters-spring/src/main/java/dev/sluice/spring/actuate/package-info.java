/** Actuator and Micrometer support: per-deployment health, the {@code sluice} endpoint, metrics. */
package dev.sluice.spring.actuate;
