/** The starter's HTTP endpoints on Spring WebFlux (reactive applications). */
package dev.sluice.spring.webflux;
