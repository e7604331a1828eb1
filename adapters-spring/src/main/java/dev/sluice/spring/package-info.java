/**
 * Spring Boot starter: auto-configuration, Open Inference Protocol endpoints, health and metrics.
 *
 * <p>Filled by the Spring Boot starter issue.
 */
package dev.sluice.spring;
