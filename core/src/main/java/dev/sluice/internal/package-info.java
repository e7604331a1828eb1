/**
 * Not API: types the runtime's packages share with each other; they may change in any release.
 */
package dev.sluice.internal;
