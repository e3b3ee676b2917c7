package dev.kodiak.cli.clean;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The views of the page, in tab order, and which items each one shows. The review views leave
 * out files with an action in effect (acted on or kept); {@link #DONE} lists those actions.
 * Named on the page and in the API by the constant's name in lower case.
 */
enum View {
    /** The model disagrees with the folder; worst loss first. */
    MISLABELED,
    /** Duplicate groups, the kept file of each first. */
    DUPLICATES,
    /** Files that are not readable images. */
    UNREADABLE,
    /** Every readable image, worst loss first. */
    ALL,
    /** The actions in effect, newest first. */
    DONE;

    /** @return the view's name on the page and in the API */
    String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The view of a name.
     *
     * @param name a view's name, as {@link #json()} gives it
     * @return the view
     * @throws Refused {@link Refused.Kind#NOT_FOUND} for any other name
     */
    static View of(String name) throws Refused {
        for (View v : values()) {
            if (v.json().equals(name)) {
                return v;
            }
        }
        throw new Refused(Refused.Kind.NOT_FOUND, "There is no view '" + name
                + "'; the views are " + Arrays.stream(values()).map(View::json).toList());
    }

    /**
     * Whether a review view shows an item: not acted on or kept, and fitting the view.
     *
     * @param item an item
     * @return whether it is shown ({@link #DONE} shows actions, not items: false)
     */
    boolean shows(Item item) {
        return item.actions.isEmpty() && switch (this) {
            case MISLABELED -> item.sample != null
                    && item.sample.predicted() != item.sample.actual();
            case DUPLICATES -> item.group != null;
            case UNREADABLE -> item.unreadable != null;
            case ALL -> item.sample != null;
            case DONE -> false;
        };
    }

    /**
     * The items a review view shows, in its order.
     *
     * @param items every item
     * @return those it shows, sorted: duplicates by group, the kept one first; else worst loss
     *     first; then by path as scored
     */
    List<Item> of(List<Item> items) {
        Comparator<Item> order = this == DUPLICATES
                ? Comparator.comparingInt((Item i) -> i.group.id())
                        .thenComparing(i -> !i.group.keep())
                : Comparator.comparingDouble(Item::loss).reversed();
        return items.stream().filter(this::shows)
                .sorted(order.thenComparing(i -> i.scoredPath)).toList();
    }
}
