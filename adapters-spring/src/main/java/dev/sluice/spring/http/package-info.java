/**
 * What an application's own endpoints use to answer as the starter's do: {@link dev.sluice.spring.http.HttpErrors}
 * turns Sluice's errors into HTTP answers (status, {@code Retry-After}, an error body with an error id, never a
 * stack trace), and {@link dev.sluice.spring.http.TraceFlag} is the one rule for the {@code trace} query parameter.
 */
package dev.sluice.spring.http;
