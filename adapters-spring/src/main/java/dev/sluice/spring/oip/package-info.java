/**
 * The Open Inference Protocol (KServe v2) over REST, independent of any web stack: {@link
 * dev.sluice.spring.oip.OpenInferenceProtocol} takes a request's model name, version and body and gives an
 * {@link dev.sluice.spring.oip.OipResponse} (status, headers, JSON body). A web adapter (Spring MVC today) only
 * routes and copies bytes.
 */
package dev.sluice.spring.oip;
