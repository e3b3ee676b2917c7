package dev.kodiak.spark;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a Spark event log (one JSON event per line) says about a run's executors and tasks.
 *
 * @param executorsAdded the ids of every executor that joined, in order
 * @param executorsRemoved the ids of executors the driver lost or removed
 * @param executorsReady seconds from the application's start to its second executor
 * @param first the first stage (the scoring one, for this job), or null if none completed
 * @param taskAttempts task attempts that ended, however they ended, in every stage
 * @param failures failed attempts by reason, e.g. {@code ExecutorLostFailure}
 * @param retried failed tasks (stage and index) that a later attempt completed
 * @param unretried failed tasks that no later attempt completed
 */
record EventLog(List<String> executorsAdded, List<String> executorsRemoved,
        double executorsReady, Stage first, int taskAttempts, Map<String, Integer> failures,
        Set<String> retried, Set<String> unretried) {

    EventLog {
        executorsAdded = List.copyOf(executorsAdded);
        executorsRemoved = List.copyOf(executorsRemoved);
        failures = Map.copyOf(failures);
        retried = Set.copyOf(retried);
        unretried = Set.copyOf(unretried);
    }

    /**
     * A stage's timing.
     *
     * @param tasks its partitions
     * @param seconds from submission to completion
     * @param warmup seconds from submission until every executor that ran its first task in
     *     this stage had finished it (opening the classifier, loading classes, compiling)
     * @param afterWarmup tasks that succeeded after that
     */
    record Stage(int tasks, double seconds, double warmup, int afterWarmup) {
        /** @return seconds from the end of the warm-up to the stage's completion */
        double afterWarmupSeconds() {
            return seconds - warmup;
        }
    }

    /**
     * Reads an uncompressed event log.
     *
     * @param file the log
     * @return the summary
     * @throws IOException if it cannot be read
     */
    static EventLog read(Path file) throws IOException {
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        Map<String, Integer> failures = new TreeMap<>();
        Set<String> failed = new LinkedHashSet<>();
        Set<String> succeeded = new HashSet<>();
        Set<String> retried = new LinkedHashSet<>();
        long appStart = 0;
        long ready = 0;
        int attempts = 0;
        int firstStage = -1;
        JsonObject firstInfo = null;
        List<long[]> firstTasks = new ArrayList<>(); // launch, finish, executor; successes
        for (String line : Files.readAllLines(file)) {
            JsonObject event = JsonParser.parseString(line).getAsJsonObject();
            switch (event.get("Event").getAsString()) {
                case "SparkListenerApplicationStart" -> appStart = event.get("Timestamp")
                        .getAsLong();
                case "SparkListenerExecutorAdded" -> {
                    added.add(event.get("Executor ID").getAsString());
                    if (added.size() == 2) {
                        ready = event.get("Timestamp").getAsLong();
                    }
                }
                case "SparkListenerExecutorRemoved" -> removed.add(event.get("Executor ID")
                        .getAsString());
                case "SparkListenerStageCompleted" -> {
                    JsonObject info = event.getAsJsonObject("Stage Info");
                    if (firstInfo == null) {
                        firstInfo = info;
                        firstStage = info.get("Stage ID").getAsInt();
                    }
                }
                case "SparkListenerTaskEnd" -> {
                    attempts++;
                    JsonObject info = event.getAsJsonObject("Task Info");
                    int stage = event.get("Stage ID").getAsInt();
                    String task = stage + "." + info.get("Index").getAsInt();
                    String reason = event.getAsJsonObject("Task End Reason").get("Reason")
                            .getAsString();
                    if (reason.equals("Success")) {
                        succeeded.add(task);
                        if (failed.remove(task)) {
                            retried.add(task);
                        }
                        if (firstInfo == null && (firstStage < 0 || stage == firstStage)) {
                            firstStage = stage;
                            firstTasks.add(new long[] {info.get("Launch Time").getAsLong(),
                                    info.get("Finish Time").getAsLong(),
                                    Long.parseLong(info.get("Executor ID").getAsString())});
                        }
                    } else {
                        failures.merge(reason, 1, Integer::sum);
                        if (!succeeded.contains(task)) {
                            failed.add(task);
                        }
                    }
                }
                default -> {
                    // jobs, blocks, environment: not summarized
                }
            }
        }
        return new EventLog(added, removed, ready == 0 ? Double.NaN : (ready - appStart) / 1e3,
                firstInfo == null ? null : stage(firstInfo, firstTasks), attempts, failures,
                retried, failed);
    }

    private static Stage stage(JsonObject info, List<long[]> tasks) {
        long submitted = info.get("Submission Time").getAsLong();
        long completed = info.get("Completion Time").getAsLong();
        Map<Long, Long> firstFinish = new HashMap<>();
        for (long[] task : tasks) {
            firstFinish.merge(task[2], task[1], Math::min);
        }
        long warm = firstFinish.values().stream().mapToLong(Long::longValue).max()
                .orElse(completed);
        int after = (int) tasks.stream().filter(t -> t[0] >= warm).count();
        return new Stage(info.get("Number of Tasks").getAsInt(), (completed - submitted) / 1e3,
                (warm - submitted) / 1e3, after);
    }
}
