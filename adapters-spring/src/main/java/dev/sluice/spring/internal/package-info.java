/**
 * Not API: the starter's HTTP plumbing, shared by its packages and public only for that. Anything here may change
 * or go in any release; applications use {@link dev.sluice.spring.http} instead.
 */
package dev.sluice.spring.internal;
