/** {@code POST /sluice/{name}}: pipelines and object-typed deployments with Jackson-mapped inputs. */
package dev.sluice.spring.typed;
