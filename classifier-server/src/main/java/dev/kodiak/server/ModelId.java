package dev.kodiak.server;

/**
 * Which model, and which of its versions: what every answer and every metric names. A model
 * configured as a single bundle ({@code kodiak.models}) is version 1; a model of the repository
 * has the versions of its folders ({@code <name>/<version>/}), positive integers as in Triton.
 *
 * @param name the model's name, as it appears in URLs
 * @param version its version, at least 1
 */
record ModelId(String name, int version) {
    /**
     * Checks the version.
     *
     * @throws IllegalArgumentException if it is below 1
     */
    ModelId {
        if (version < 1) {
            throw new IllegalArgumentException("Invalid version " + version + " of model '"
                    + name + "': versions are positive integers");
        }
    }

    /**
     * Returns the version as the protocols write it.
     *
     * @return such as {@code "3"}
     */
    String versionText() {
        return Integer.toString(version);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "model '" + name + "' version " + version;
    }
}
