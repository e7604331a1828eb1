/**
 * What an application's own endpoints use to answer as the starter's do: {@link dev.sluice.spring.http.TraceFlag},
 * the one rule for the {@code trace} query parameter.
 */
package dev.sluice.spring.http;
