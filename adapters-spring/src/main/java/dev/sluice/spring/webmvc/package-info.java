/** The Open Inference Protocol endpoints on Spring MVC: a thin adapter over {@link dev.sluice.spring.oip}. */
package dev.sluice.spring.webmvc;
