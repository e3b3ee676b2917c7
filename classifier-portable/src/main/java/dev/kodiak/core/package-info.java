/**
 * The common base of Kodiak's checked exceptions ({@link dev.kodiak.core.KodiakException}). The
 * rest of this package (the {@code Classifier} facade and its configuration) lives in
 * classifier-core; this module holds only what the browser widget can run too.
 */
package dev.kodiak.core;
