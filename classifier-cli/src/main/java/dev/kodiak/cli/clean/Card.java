package dev.kodiak.cli.clean;

import dev.kodiak.cli.ImageFiles;

/**
 * One card of the page: a scanned file (key {@code i<item>}), or an action of the Done view
 * (key {@code a<action>}) with the file it moved when that file was scanned. {@link CleanJson}
 * writes it for the page; a null field is left out.
 *
 * @param key the card's key
 * @param item the scanned file's number, or null for an action on no scanned file
 * @param path where the file is now, relative to DATA
 * @param scoredPath where it was when scored, or null
 * @param sha256 its content
 * @param quarantined whether it is in the quarantine
 * @param folder the label of the folder it is in, or null
 * @param prediction what the model said, or null (unreadable, or not scanned)
 * @param pixels its width times height, or null
 * @param bytes its size, or null
 * @param unreadable why it is not a readable image, or null
 * @param group its duplicate group, or null
 * @param action the last action in effect on it, or the Done view's action; or null
 * @param inEffect for the Done view, whether the action is still in effect; else null
 */
record Card(String key, Integer item, String path, String scoredPath, String sha256,
        boolean quarantined, Folder folder, Prediction prediction, Long pixels, Long bytes,
        ImageFiles.Unreadable unreadable, Item.Group group, Journal.Entry action,
        Boolean inEffect) {

    /**
     * The label of the folder a file is in.
     *
     * @param index the label's index
     * @param name the label
     */
    record Folder(int index, String name) {
    }

    /**
     * What the model said of a file when it was scored.
     *
     * @param predicted its top-1 label
     * @param predictedIndex that label's index
     * @param probability the top-1 probability
     * @param scoredLabel the label of the folder it was scored in
     * @param scoredProbability the probability the model gave that label
     * @param loss the cross-entropy loss, -ln scoredProbability
     */
    record Prediction(String predicted, int predictedIndex, float probability,
            String scoredLabel, float scoredProbability, double loss) {
    }

    /**
     * The same card under another key, as the Done view shows an action on a scanned file.
     *
     * @param key the key
     * @param action the action
     * @param inEffect whether it is still in effect
     * @return the card
     */
    Card asAction(String key, Journal.Entry action, boolean inEffect) {
        return new Card(key, item, path, scoredPath, sha256, quarantined, folder, prediction,
                pixels, bytes, unreadable, group, action, inEffect);
    }
}
