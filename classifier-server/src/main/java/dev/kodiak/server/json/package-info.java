/**
 * The JSON shapes of Kodiak's HTTP API, in one place: models, classifications, the
 * {@code /predict} answer of the seed-002 Django endpoint, and errors. See {@code openapi.yaml}.
 */
package dev.kodiak.server.json;
