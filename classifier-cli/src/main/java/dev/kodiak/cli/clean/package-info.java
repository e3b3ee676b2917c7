/**
 * {@code kodiak clean}: review a labelled folder in the browser and fix it, every action a
 * journaled move that can be undone.
 *
 * <ul>
 * <li>{@link dev.kodiak.cli.clean.CleanCommand}: the picocli command; scores the folder, starts
 *     the page, or undoes everything ({@code --undo-all}).</li>
 * <li>{@link dev.kodiak.cli.clean.CleanSession}: what the page sees and does: the scored folder,
 *     kept in step with the journal, its views and cards, and the rules of each action.</li>
 * <li>{@link dev.kodiak.cli.clean.CleanServer}: the local HTTP server (token, host and origin
 *     checks), the page and the thumbnails.</li>
 * <li>{@link dev.kodiak.cli.clean.Journal}: the append-only record of every action and the only
 *     way files move.</li>
 * </ul>
 */
package dev.kodiak.cli.clean;
