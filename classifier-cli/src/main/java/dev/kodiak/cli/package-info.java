/**
 * {@code kodiak evaluate | verify | dedupe}: checking and cleaning image folders and
 * understanding a model's mistakes, the chores of seed stories 001 and 002, on classifier-core.
 */
package dev.kodiak.cli;
