package dev.kodiak.cli.clean;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps a {@link Scan} in step with the {@link Journal}, which this page, other pages and other
 * processes write: where each item is now, which actions are in effect on it, and where each
 * scored content is (for its thumbnail). Not thread-safe: the session's lock guards it.
 */
final class Tracker {
    private final Scan scan;
    private final Map<String, Item> byPath = new HashMap<>();
    private final Map<String, String> locations = new HashMap<>();
    private int applied;

    /**
     * Attaches the actions in effect to a fresh scan's items (matched by path and sha256).
     *
     * @param scan the scan, its items where scoring found them
     * @param all every journal line so far
     */
    Tracker(Scan scan, List<Journal.Entry> all) {
        this.scan = scan;
        for (Item item : scan.items()) {
            byPath.put(item.path, item);
        }
        for (Journal.Entry e : Journal.effective(all)) {
            if (e.moves()) {
                locations.put(e.sha256(), e.to());
            }
            Item item = byPath.get(e.to());
            if (item != null && item.sha256.equals(e.sha256())) {
                item.actions.add(e.id());
            }
        }
        for (Item item : scan.items()) {
            locations.put(item.sha256, item.path);
        }
        applied = all.size();
    }

    /** @return the scan it tracks */
    Scan scan() {
        return scan;
    }

    /**
     * Applies the journal lines written since the last look: moves items, adds and removes the
     * actions in effect.
     *
     * @param all every journal line so far (the lines seen before are skipped)
     */
    void catchUp(List<Journal.Entry> all) {
        for (int i = applied; i < all.size(); i++) {
            Journal.Entry e = all.get(i);
            if (e.phase() != Phase.DONE) {
                continue;
            }
            Item item = byPath.get(e.from());
            if (item == null || !item.sha256.equals(e.sha256())) {
                if (e.moves()) {
                    locations.put(e.sha256(), e.to());
                }
                continue;
            }
            if (e.moves()) {
                byPath.remove(item.path);
                item.path = e.to();
                byPath.put(item.path, item);
                locations.put(e.sha256(), e.to());
            }
            if (e.action() == Action.UNDO) {
                item.actions.remove(e.undoes());
            } else {
                item.actions.add(e.id());
            }
        }
        applied = all.size();
    }

    /**
     * The scored item now at a path with a content.
     *
     * @param path a path relative to DATA
     * @param sha256 the content expected there
     * @return the item, or null when no scored file with that content is there
     */
    Item at(String path, String sha256) {
        Item item = byPath.get(path);
        return item != null && item.sha256.equals(sha256) ? item : null;
    }

    /**
     * Where a scored content is now, for its thumbnail.
     *
     * @param sha256 a content hash
     * @return its path relative to DATA, or null when no scored or moved file has it
     */
    String location(String sha256) {
        return locations.get(sha256);
    }

    /**
     * The item an action in effect is on.
     *
     * @param actionId the action
     * @return the item, or null when it is on no scanned file (e.g. before a re-evaluation)
     */
    Item itemOf(long actionId) {
        Item found = null;
        for (Item i : scan.items()) {
            if (i.actions.contains(actionId)) {
                found = i;
            }
        }
        return found;
    }
}
