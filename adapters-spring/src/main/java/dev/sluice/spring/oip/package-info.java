/**
 * The Open Inference Protocol (KServe v2) over REST, independent of any web stack: {@link
 * dev.sluice.spring.oip.OpenInferenceProtocol} takes a request's model name, version and body and gives an
 * {@link dev.sluice.spring.oip.OipResponse} (status, headers, a JSON body, or JSON followed by binary tensor data
 * under the protocol's binary tensor data extension). The web adapters (Spring MVC in
 * {@link dev.sluice.spring.webmvc}, WebFlux in {@link dev.sluice.spring.webflux}) only route, hand on the
 * extension's {@code Inference-Header-Content-Length} header and copy bytes.
 */
package dev.sluice.spring.oip;
