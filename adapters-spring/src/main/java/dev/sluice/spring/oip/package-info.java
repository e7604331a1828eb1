/**
 * The Open Inference Protocol (KServe v2) over REST, independent of any web stack: {@link
 * dev.sluice.spring.oip.OpenInferenceProtocol} takes a request's model name, version and body and gives an
 * {@link dev.sluice.spring.oip.OipResponse} (status, headers, JSON body). The web adapters (Spring MVC in
 * {@link dev.sluice.spring.webmvc}, WebFlux in {@link dev.sluice.spring.webflux}) only route and copy bytes.
 */
package dev.sluice.spring.oip;
