package dev.kodiak.core.bundle;

/** What the model's last layer gives. */
public enum ModelOutput {
    /** Unnormalised scores; Kodiak applies softmax. */
    LOGITS,
    /** Probabilities that already sum to 1; used as they are. */
    PROBABILITIES
}
