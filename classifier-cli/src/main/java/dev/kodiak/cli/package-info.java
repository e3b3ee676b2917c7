/**
 * {@code kodiak evaluate | verify | dedupe | clean}: checking and cleaning image folders and
 * understanding a model's mistakes, the chores of seed stories 001 and 002, on classifier-core.
 *
 * <p>This package holds the launcher ({@link dev.kodiak.cli.Main}), the commands that fit in a
 * class each ({@code evaluate}, {@code verify}, {@code dedupe}) and what every command shares:
 * the model options, reading a labelled folder and scoring it ({@link dev.kodiak.cli.Scoring},
 * {@link dev.kodiak.cli.Evaluation}), duplicates ({@link dev.kodiak.cli.Duplicates}),
 * thumbnails, the progress bar and the exit codes. {@code clean}, which serves a page to act on
 * what the others find, has a package of its own: {@link dev.kodiak.cli.clean}.
 */
package dev.kodiak.cli;
