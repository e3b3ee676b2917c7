/**
 * Batch scoring of image folders on Apache Spark with classifier-core: {@link
 * dev.kodiak.spark.ScoreImages} as a {@code spark-submit} job or a local {@code main}, and
 * {@link dev.kodiak.spark.ImageScoring} as a small Java API.
 */
package dev.kodiak.spark;
