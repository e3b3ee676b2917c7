/**
 * {@code kodiak evaluate | verify | dedupe | clean}: checking and cleaning image folders and
 * understanding a model's mistakes, the chores of seed stories 001 and 002, on classifier-core.
 * {@code clean} serves a local page ({@link dev.kodiak.cli.CleanServer}) to act on what the
 * others find, every action a journaled move ({@link dev.kodiak.cli.Journal}).
 */
package dev.kodiak.cli;
