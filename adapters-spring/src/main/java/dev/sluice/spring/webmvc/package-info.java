/**
 * The starter's HTTP endpoints on Spring MVC (servlet applications): thin adapters over {@link dev.sluice.spring.oip}
 * and {@link dev.sluice.spring.typed}.
 */
package dev.sluice.spring.webmvc;
