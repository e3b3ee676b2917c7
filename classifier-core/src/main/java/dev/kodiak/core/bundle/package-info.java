/**
 * The portable model bundle: a directory or {@code .zip} holding a TorchScript file and a
 * {@code kodiak.json} manifest (labels, input spec, provenance, checksums). Nothing in a bundle
 * needs Python to read; loading checks every file and fails with a {@link
 * dev.kodiak.core.bundle.BundleException} that names the file and the fix.
 */
package dev.kodiak.core.bundle;
